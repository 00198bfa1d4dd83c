package trust_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/trust"
)

var (
	now    = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	policy = trust.BadgePolicy{IDVerified: 365 * 24 * time.Hour, TrustedPro: 365 * 24 * time.Hour, SocialVerified: 182 * 24 * time.Hour}
)

func sources(idv, bg, social []trust.Source) trust.Sources {
	m := func(ss []trust.Source) map[string]trust.Source {
		out := map[string]trust.Source{}
		for _, s := range ss {
			out[s.ID] = s
		}
		return out
	}
	return trust.Sources{IDV: m(idv), BG: m(bg), Social: m(social)}
}

// apply turns changes into the badge rows a store would hold afterwards.
func apply(badges []trust.Badge, changes []trust.BadgeChange) []trust.Badge {
	out := append([]trust.Badge(nil), badges...)
	for _, c := range changes {
		switch c.Action {
		case trust.BadgeIssued:
			exp := c.Expires
			out = append(out, trust.Badge{ID: c.BadgeID, Kind: c.Kind, Source: c.SourceID, Expires: &exp})
		case trust.BadgeExtended, trust.BadgeRevoked:
			for i := range out {
				if out[i].ID == c.BadgeID {
					if c.Action == trust.BadgeRevoked {
						out[i].Revoked = true
					} else {
						exp := c.Expires
						out[i].Expires = &exp
					}
				}
			}
		}
	}
	return out
}

func TestIdentityAndBackgroundBadges(t *testing.T) {
	t.Parallel()
	passedAdult := trust.Source{ID: "idv_1", Status: "passed", OK: true}
	clearCheck := trust.Source{ID: "bg_1", Status: "clear", OK: true}

	// Passed without a verified age: nothing, and a clear check alone gives nothing.
	got := trust.DeriveBadges("u", sources([]trust.Source{{ID: "idv_1", Status: "passed"}}, []trust.Source{clearCheck}, nil), nil, policy, now)
	require.Empty(t, got)

	// Passed with a verified age and a clear check: id_verified, then trusted_pro, which
	// expires no later than the id_verified badge it rests on.
	short := policy
	short.IDVerified = 30 * 24 * time.Hour
	got = trust.DeriveBadges("u", sources([]trust.Source{passedAdult}, []trust.Source{clearCheck}, nil), nil, short, now)
	require.Len(t, got, 2)
	require.Equal(t, []string{trust.BadgeIDVerified, trust.BadgeTrustedPro}, []string{got[0].Kind, got[1].Kind})
	require.Equal(t, now.Add(30*24*time.Hour), got[0].Expires)
	require.Equal(t, got[0].Expires, got[1].Expires, "trusted_pro ends with id_verified")
	again := trust.DeriveBadges("u", sources([]trust.Source{passedAdult}, []trust.Source{clearCheck}, nil), nil, short, now)
	require.Equal(t, got, again, "the same inputs name the same badges")

	// Applied, the same sources change nothing more.
	rows := apply(nil, got)
	require.Empty(t, trust.DeriveBadges("u", sources([]trust.Source{passedAdult}, []trust.Source{clearCheck}, nil), rows, short, now))

	// The check is disputed: trusted_pro is revoked, with the reason; id_verified stays.
	disputed := trust.Source{ID: "bg_1", Status: "dispute"}
	got = trust.DeriveBadges("u", sources([]trust.Source{passedAdult}, []trust.Source{disputed}, nil), rows, short, now)
	require.Equal(t, []trust.BadgeChange{{BadgeID: rows[1].ID, Kind: trust.BadgeTrustedPro, SourceID: "bg_1", Action: trust.BadgeRevoked,
		Reason: "background check is dispute"}}, got)

	// The identity session falls: id_verified is revoked, and trusted_pro with it.
	got = trust.DeriveBadges("u", sources([]trust.Source{{ID: "idv_1", Status: "expired"}}, []trust.Source{clearCheck}, nil), rows, short, now)
	require.Len(t, got, 2)
	require.Equal(t, trust.BadgeRevoked, got[0].Action)
	require.Equal(t, trust.BadgeChange{BadgeID: rows[1].ID, Kind: trust.BadgeTrustedPro, SourceID: "bg_1", Action: trust.BadgeRevoked,
		Reason: "id_verified is no longer active"}, got[1])
}

func TestAnExpiredBadgeTakesANewSource(t *testing.T) {
	t.Parallel()
	passed := trust.Source{ID: "idv_1", Status: "passed", OK: true}
	rows := apply(nil, trust.DeriveBadges("u", sources([]trust.Source{passed}, nil, nil), nil, policy, now))
	later := now.Add(400 * 24 * time.Hour) // past the year
	require.Empty(t, trust.DeriveBadges("u", sources([]trust.Source{passed}, nil, nil), rows, policy, later),
		"the same session does not re-issue an expired badge: recertification takes a new one")
	got := trust.DeriveBadges("u", sources([]trust.Source{passed, {ID: "idv_2", Status: "passed", OK: true}}, nil, nil), rows, policy, later)
	require.Len(t, got, 1)
	require.Equal(t, "idv_2", got[0].SourceID)
	require.NotEqual(t, rows[0].ID, got[0].BadgeID)
}

func TestSocialBadgeFollowsItsNewestCheck(t *testing.T) {
	t.Parallel()
	checked := now.Add(-10 * 24 * time.Hour)
	rows := apply(nil, trust.DeriveBadges("u", sources(nil, nil, []trust.Source{{ID: "soc_1", OK: true, At: checked}}), nil, policy, now))
	require.Len(t, rows, 1)
	require.Equal(t, checked.Add(policy.SocialVerified), *rows[0].Expires, "valid from the check's time")

	newer := now.Add(-time.Hour)
	got := trust.DeriveBadges("u", sources(nil, nil, []trust.Source{{ID: "soc_1", OK: true, At: newer}}), rows, policy, now)
	require.Equal(t, []trust.BadgeChange{{BadgeID: rows[0].ID, Kind: trust.BadgeSocialVerified, SourceID: "soc_1", Action: trust.BadgeExtended,
		Reason: "newer verified check", Expires: newer.Add(policy.SocialVerified)}}, got)

	got = trust.DeriveBadges("u", sources(nil, nil, []trust.Source{{ID: "soc_1", Status: "not verified", At: newer}}), rows, policy, now)
	require.Len(t, got, 1)
	require.Equal(t, trust.BadgeRevoked, got[0].Action)

	stale := now.Add(-200 * 24 * time.Hour)
	require.Empty(t, trust.DeriveBadges("u", sources(nil, nil, []trust.Source{{ID: "soc_2", OK: true, At: stale}}), nil, policy, now),
		"a check too old to give a badge gives none")
}
