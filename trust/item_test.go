package trust_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/risk"
	"trustdocs/trust"
)

func snapshot(days int, now time.Time, c risk.Counters) risk.Snapshot {
	w := risk.RollingWindows([]int{days}, now)[0]
	return risk.Snapshot{Window: w, Counters: c, Result: risk.V1.Score(c)}
}

func TestItemShowsTheShortestWindowWithEnoughData(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	tomorrow := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	busy := trust.Item(trust.State{UserID: "u", Version: 3, Risk: []risk.Snapshot{
		snapshot(30, now, risk.Counters{Volume: 10, DisputesOpened: 1}), snapshot(90, now, risk.Counters{Volume: 30, DisputesOpened: 1}),
	}}, now)
	require.Equal(t, "[2026-11-01,2026-12-01)", busy.RiskWindow)
	require.Equal(t, risk.V1.Score(risk.Counters{Volume: 10, DisputesOpened: 1}).Score, *busy.RiskScore)
	require.Equal(t, tomorrow, busy.ValidUntil, "valid until the next roll")
	require.Equal(t, int64(3), busy.Version)

	quiet := trust.Item(trust.State{UserID: "u", Risk: []risk.Snapshot{
		snapshot(30, now, risk.Counters{Volume: 2}), snapshot(90, now, risk.Counters{Volume: 6, Cancellations: 1}),
	}}, now)
	require.Equal(t, "[2026-09-02,2026-12-01)", quiet.RiskWindow, "the 90-day window has enough")
	require.NotNil(t, quiet.RiskScore)

	thin := trust.Item(trust.State{UserID: "u", Risk: []risk.Snapshot{
		snapshot(30, now, risk.Counters{Volume: 1}), snapshot(90, now, risk.Counters{Volume: 2}),
	}}, now)
	require.Equal(t, "[2026-09-02,2026-12-01)", thin.RiskWindow, "the longest window with data")
	require.Nil(t, thin.RiskScore, "insufficient data: no score")

	empty := trust.Item(trust.State{UserID: "u", Risk: []risk.Snapshot{snapshot(30, now, risk.Counters{})}}, now)
	require.Empty(t, empty.RiskWindow)
	require.Nil(t, empty.RiskScore)
	require.Equal(t, now.Add(trust.NoExpiryHorizon), empty.ValidUntil, "nothing expires: a year ahead")
	require.Equal(t, []string{}, empty.Badges)
}

func TestItemIsValidUntilTheEarliestBadgeExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	soon, later := now.Add(2*time.Hour), now.Add(300*24*time.Hour)
	it := trust.Item(trust.State{UserID: "u", IDVPassed: true, AgeVerified: true, Badges: []trust.ActiveBadge{
		{Kind: "trusted_pro", Expires: &later}, {Kind: "id_verified", Expires: &later}, {Kind: "social_verified", Expires: &soon},
	}, Risk: []risk.Snapshot{snapshot(30, now, risk.Counters{Volume: 9})}}, now)
	require.Equal(t, soon, it.ValidUntil)
	require.Equal(t, []string{"id_verified", "social_verified", "trusted_pro"}, it.Badges)
	require.True(t, it.TrustedPro && it.SocialVerified && it.IDVPassed && it.AgeVerified)

	other := it
	other.Badges = []string{"id_verified"}
	require.False(t, trust.Same(it, other))
	other = it
	other.ComputedAt = now.Add(time.Hour)
	require.True(t, trust.Same(it, other), "computed_at is not content")
}
