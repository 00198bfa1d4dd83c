package workers_test

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/risk"
	"trustdocs/trust"
	"trustdocs/workers"
)

// emit hands an event to the workers as the consumer would: its jobs, inserted.
func (b *bundle) emit(t *testing.T, id, typ string, at time.Time, data any) {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	params, err := workers.JobsFor(events.Envelope{ID: id, Type: typ, Source: "test", OccurredAt: at, Data: raw})
	require.NoError(t, err)
	_, err = b.river.InsertMany(b.ctx, params)
	require.NoError(t, err)
}

// settle waits until no job is waiting to run now (scheduled ones, such as refreshes at a
// badge expiry, may stay).
func (b *bundle) settle(t *testing.T) {
	t.Helper()
	b.waitFor(t, "jobs to settle", func() bool {
		return b.scalar(t, `select count(*) from river_job where state in ('available', 'running', 'retryable', 'pending')
			or (state = 'scheduled' and scheduled_at < now())`) == 0
	})
}

func (b *bundle) cache(t *testing.T, user string) trust.CacheItem {
	t.Helper()
	it, found, err := b.table().Get(b.ctx, user)
	require.NoError(t, err)
	require.True(t, found, "trust cache item of %s", user)
	return it
}

func (b *bundle) version(t *testing.T, user string) int64 {
	return int64(b.scalar(t, `select coalesce((select version from trust_user where user_id = $1), 0)`, user))
}

func checkr(id, typ string, at time.Time, object string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created_at":%q,"data":{"object":%s}}`,
		id, typ, at.Format(time.RFC3339), object))
}

// report is a Checkr report object with the kind of personal data a report carries,
// none of which the pipeline may keep.
func report(result string) string {
	return fmt.Sprintf(`{"id":"rep_77","object":"report","status":"complete","result":%q,"package":"basic_us","candidate_id":"cand_5f1e",
	  "candidate":{"first_name":"Jordan","dob":"1994-03-17","ssn":"XXX-XX-4321","driver_license_number":"D1234567"},
	  "county_criminal_searches":[{"records":[{"case_number":"CR-2019-0042"}]}]}`, result)
}

func TestBackgroundCheckGivesTrustedProAndItsFallRevokesIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const user = "usr_t_2002"
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	b.deliverAs(t, "persona", "p1", personaEvent("evt_p_1", "inquiry.approved", "2026-11-24T08:00:00.000Z"))

	// The first webhook overtakes the request that maps its candidate: it is retried
	// until the mapping arrives, then applied.
	b.deliverAs(t, "checkr", "c1", checkr("ck_1", "invitation.created", t0.Add(time.Minute),
		`{"id":"inv_77aa","object":"invitation","candidate_id":"cand_5f1e","package":"basic_us"}`))
	b.waitFor(t, "the early webhook to fail once", func() bool {
		return b.scalar(t, `select count(*) from river_job where kind = 'apply_background_check' and state = 'retryable'`) == 1
	})
	b.emit(t, "evt_bgreq_1", events.BackgroundCheckAsked, t0, events.BackgroundCheckRequest{
		UserID: user, Provider: "checkr", CandidateID: "cand_5f1e", InvitationID: "inv_77aa", Package: "basic_us"})

	// Completed (10:00) arrives before created (09:30), and twice.
	b.deliverAs(t, "checkr", "c2", checkr("ck_3", "report.completed", t0.Add(time.Hour), report("clear")))
	b.deliverAs(t, "checkr", "c3", checkr("ck_2", "report.created", t0.Add(30*time.Minute), report("")))
	b.deliverAs(t, "checkr", "c4", checkr("ck_3", "report.completed", t0.Add(time.Hour), report("clear")))
	b.settle(t)

	var status, pkg string
	require.NoError(t, b.pool.QueryRow(b.ctx, `select status, package from bg_status where user_id = $1`, user).Scan(&status, &pkg))
	require.Equal(t, "clear", status, "the older report.created did not move it back")
	require.Equal(t, "basic_us", pkg)
	require.Equal(t, 3, b.scalar(t, `select count(*) from webhook_event where provider = 'checkr'`), "one record per provider event")
	require.Equal(t, 1, b.scalar(t, `select count(*) from trust_badge where user_id = $1 and kind = 'trusted_pro' and revoked_at is null`, user))
	item := b.cache(t, user)
	require.True(t, item.TrustedPro)
	require.True(t, item.IDVPassed)
	require.Equal(t, []string{"id_verified", "trusted_pro"}, item.Badges)
	require.Equal(t, b.version(t, user), item.Version, "the cache holds the newest version")

	// An adjudication step keeps the status; a dispute takes trusted_pro away (recorded).
	b.deliverAs(t, "checkr", "c5", checkr("ck_4", "report.engaged", t0.Add(90*time.Minute), report("clear")))
	b.deliverAs(t, "checkr", "c6", checkr("ck_5", "report.disputed", t0.Add(2*time.Hour), report("clear")))
	b.settle(t)
	var adjudication, reason string
	require.NoError(t, b.pool.QueryRow(b.ctx, `select status, adjudication from bg_status where user_id = $1`, user).Scan(&status, &adjudication))
	require.Equal(t, "disputed", status)
	require.Equal(t, "engaged", adjudication)
	require.NoError(t, b.pool.QueryRow(b.ctx, `select revoked_reason from trust_badge where user_id = $1 and kind = 'trusted_pro'`, user).Scan(&reason))
	require.Equal(t, "background check is disputed", reason, "revoked, not deleted")
	item = b.cache(t, user)
	require.False(t, item.TrustedPro)
	require.Equal(t, []string{"id_verified"}, item.Badges)
	require.Equal(t, b.version(t, user), item.Version)

	// Cleared again: a new trusted_pro badge; the revoked one stays on record.
	b.deliverAs(t, "checkr", "c7", checkr("ck_6", "report.completed", t0.Add(3*time.Hour), report("clear")))
	b.settle(t)
	require.Equal(t, 2, b.scalar(t, `select count(*) from trust_badge where user_id = $1 and kind = 'trusted_pro'`, user))
	require.True(t, b.cache(t, user).TrustedPro)

	// Report contents never reach the database: Checkr events are normalized at ingestion.
	for _, table := range []string{"bg_status", "bg_candidate", "webhook_event", "river_job", "trust_badge"} {
		var dump string
		require.NoError(t, b.pool.QueryRow(b.ctx, `select coalesce(string_agg(t::text, ' '), '') from `+table+` t`).Scan(&dump))
		for _, pii := range []string{"1994-03-17", "XX-4321", "D1234567", "CR-2019-0042", "Jordan"} {
			require.NotContains(t, dump, pii, "%s keeps %q", table, pii)
		}
	}
}

func TestSocialChecksIssueAndRevokeSocialVerified(t *testing.T) {
	t.Parallel()
	validity := 10 * time.Second
	b := setup(t, func(d *workers.Deps) {
		d.Badges = &trust.BadgePolicy{IDVerified: time.Hour, TrustedPro: time.Hour, SocialVerified: validity}
	})
	const user = "usr_t_2002"
	check := func(id string, verified bool, at time.Time) {
		b.emit(t, id, events.SocialVerificationSet, at, events.SocialCheck{UserID: user, Platform: "instagram",
			Handle: "@jordanlee.models", Verified: verified, Snapshot: json.RawMessage(`{"followers":48210}`), CheckedAt: at})
	}
	t1 := time.Now().UTC()
	check("evt_soc_1", true, t1)
	b.settle(t)
	item := b.cache(t, user)
	require.True(t, item.SocialVerified)
	require.WithinDuration(t, t1.Add(validity), item.ValidUntil, time.Second, "valid until the badge expires")

	// An older unverified check changes nothing.
	check("evt_soc_0", false, t1.Add(-time.Hour))
	b.settle(t)
	require.True(t, b.cache(t, user).SocialVerified)
	require.Equal(t, 1, b.scalar(t, `select count(*) from social_verification where user_id = $1 and verified`, user))

	// The badge expires: the refresh scheduled at its expiry drops it from the item.
	before := b.cache(t, user).Version
	b.waitFor(t, "the expiry refresh", func() bool {
		it, _, err := b.table().Get(b.ctx, user)
		return err == nil && !it.SocialVerified && it.Version > before
	})

	// A newer verified check re-issues it; a newer unverified one revokes it.
	check("evt_soc_2", true, time.Now().UTC())
	b.settle(t)
	require.True(t, b.cache(t, user).SocialVerified)
	check("evt_soc_3", false, time.Now().UTC())
	b.settle(t)
	require.False(t, b.cache(t, user).SocialVerified)
	require.Equal(t, 1, b.scalar(t, `select count(*) from trust_badge where user_id = $1 and revoked_reason = 'platform check is not verified'`, user))
	require.Equal(t, 2, b.scalar(t, `select count(*) from trust_badge where user_id = $1 and kind = 'social_verified'`, user))
}

func TestRiskEventsScoreTheWindowsAndRefreshTheCache(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const user = "usr_t_2002"
	now := time.Now().UTC()
	for i := range 6 {
		b.emit(t, fmt.Sprintf("evt_leg_%d", i), events.LegCompleted, now.Add(-time.Duration(i)*24*time.Hour),
			events.LegCompletion{BookingID: "bkg_1", LegID: fmt.Sprintf("leg_%d", i), UserIDs: []string{user, "usr_b_1001"}})
	}
	b.emit(t, "evt_dispute_1", events.DisputeOpened, now.Add(-40*24*time.Hour), events.RiskSignal{UserID: user}) // 90-day window only
	b.emit(t, "evt_late_1", events.DeliveryLate, now, events.RiskSignal{UserID: user})
	b.settle(t)

	require.Equal(t, 2, b.scalar(t, `select count(*) from trust_risk_signal where user_id = $1`, user), "one snapshot per rolling window")
	want30 := risk.V1.Score(risk.Counters{Volume: 6, LateDelivery: 1})
	var score int
	var policy string
	require.NoError(t, b.pool.QueryRow(b.ctx, `select score, flags_json->>'policy' from trust_risk_signal
		where user_id = $1 and upper("window") - lower("window") = 30`, user).Scan(&score, &policy))
	require.Equal(t, want30.Score, score)
	require.Equal(t, "risk-v1", policy)

	item := b.cache(t, user)
	require.NotNil(t, item.RiskScore, "the 30-day window has enough bookings")
	require.Equal(t, want30.Score, *item.RiskScore)
	require.Contains(t, item.RiskWindow, now.AddDate(0, 0, 1).Format(time.DateOnly)+")", "the window ends tomorrow: today counts")
	require.Equal(t, now.Truncate(24*time.Hour).AddDate(0, 0, 1), item.ValidUntil, "valid until the next roll")

	// The same event again, and a recompute with the same inputs: nothing changes.
	version := b.version(t, user)
	var computed time.Time
	require.NoError(t, b.pool.QueryRow(b.ctx, `select max(computed_at) from trust_risk_signal where user_id = $1`, user).Scan(&computed))
	b.emit(t, "evt_late_1", events.DeliveryLate, now, events.RiskSignal{UserID: user})
	_, err := b.river.Insert(b.ctx, workers.RecomputeRiskArgs{UserID: user}, nil)
	require.NoError(t, err)
	b.settle(t)
	require.Equal(t, version, b.version(t, user))
	var after time.Time
	require.NoError(t, b.pool.QueryRow(b.ctx, `select max(computed_at) from trust_risk_signal where user_id = $1`, user).Scan(&after))
	require.Equal(t, computed, after)

	// A risk-window request scores exactly that window.
	b.emit(t, "evt_rwin_1", events.RiskWindowRecompute, now, events.WindowRecompute{UserID: user,
		WindowStart: now.AddDate(0, 0, -60).Format(time.DateOnly), WindowEnd: now.AddDate(0, 0, -30).Format(time.DateOnly)})
	b.settle(t)
	var flags string
	require.NoError(t, b.pool.QueryRow(b.ctx, `select flags_json::text from trust_risk_signal where user_id = $1
		and "window" = daterange($2::date, $3::date)`, user, now.AddDate(0, 0, -60), now.AddDate(0, 0, -30)).Scan(&flags))
	require.Contains(t, flags, `"insufficient_data": true`, "no bookings in that window")
	require.Contains(t, flags, `"DISPUTES"`)
}

func TestARiskBurstCoalescesIntoFewRecomputesAndWrites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const user, n = "usr_burst", 40
	now := time.Now().UTC()
	params := make([]events.Envelope, 0, n)
	for i := range n {
		raw, _ := json.Marshal(events.RiskSignal{UserID: user})
		params = append(params, events.Envelope{ID: fmt.Sprintf("evt_click_%d", i), Type: events.ClickFlagged, OccurredAt: now, Data: raw})
	}
	for _, env := range params {
		jobs, err := workers.JobsFor(env)
		require.NoError(t, err)
		_, err = b.river.InsertMany(b.ctx, jobs)
		require.NoError(t, err)
	}
	b.settle(t)
	var clicks int
	require.NoError(t, b.pool.QueryRow(b.ctx, `select bad_clicks from trust_risk_signal where user_id = $1
		and upper("window") - lower("window") = 30`, user).Scan(&clicks))
	require.Equal(t, n, clicks, "every event counted")
	recomputes := b.scalar(t, `select count(*) from river_job where kind = 'recompute_risk'`)
	t.Logf("%d risk events: %d recomputes, %d cache writes", n, recomputes, b.deps.CacheWrites.Load())
	require.Less(t, recomputes, n/2, "a burst coalesces")
	require.Less(t, b.deps.CacheWrites.Load(), int64(n/2))
	require.Equal(t, b.version(t, user), b.cache(t, user).Version, "and the cache ends at the newest version")
}

func TestTheDailyRollMovesEveryWindowAndTheCache(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64 // days the test clock is ahead
	clock := func() time.Time { return time.Now().UTC().AddDate(0, 0, int(offset.Load())) }
	b := setup(t, func(d *workers.Deps) { d.Now = clock })
	const user = "usr_roll"
	start := clock()
	for i := range 6 {
		b.emit(t, fmt.Sprintf("evt_roll_leg_%d", i), events.LegCompleted, start.AddDate(0, 0, -29),
			events.LegCompletion{BookingID: "bkg_r", LegID: fmt.Sprintf("leg_r_%d", i), UserIDs: []string{user}})
	}
	b.emit(t, "evt_roll_dispute", events.DisputeOpened, start.AddDate(0, 0, -29), events.RiskSignal{UserID: user})
	b.settle(t)
	before := b.cache(t, user)
	require.NotNil(t, before.RiskScore)
	require.Less(t, *before.RiskScore, 100)

	// A day later the events slide out of the 30-day window: the roll scores the new
	// windows, and the item moves to the 90-day one, which still holds them.
	offset.Store(1)
	_, err := b.river.Insert(b.ctx, workers.RollRiskWindowsArgs{}, nil)
	require.NoError(t, err)
	b.settle(t)
	after := b.cache(t, user)
	require.Greater(t, after.Version, before.Version)
	tomorrow := clock().Truncate(24*time.Hour).AddDate(0, 0, 1)
	require.Equal(t, "["+tomorrow.AddDate(0, 0, -90).Format(time.DateOnly)+","+tomorrow.Format(time.DateOnly)+")", after.RiskWindow)
	require.Equal(t, tomorrow, after.ValidUntil)
	require.Equal(t, 4, b.scalar(t, `select count(*) from trust_risk_signal where user_id = $1`, user), "two windows a day, yesterday's kept")
	require.Equal(t, 1, b.scalar(t, `select count(*) from trust_risk_signal where user_id = $1 and upper("window") = $2::date
		and upper("window") - lower("window") = 30 and disputes_opened = 0`, user, tomorrow))

	// Rolling the same day again changes nothing.
	_, err = b.river.Insert(b.ctx, workers.RollRiskWindowsArgs{}, nil)
	require.NoError(t, err)
	b.settle(t)
	require.Equal(t, after.Version, b.cache(t, user).Version)
}

func TestTheRollRunsAtMidnightUTC(t *testing.T) {
	t.Parallel()
	jobs := workers.PeriodicJobs()
	require.Len(t, jobs, 1)
	require.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), workers.DailyAtMidnightUTC{}.Next(time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), workers.DailyAtMidnightUTC{}.Next(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
}
