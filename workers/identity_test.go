package workers_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Persona inquiry as Persona sends it, with personal data the pipeline must not keep.
func personaEvent(id, name, createdAt string) []byte {
	return []byte(fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":%q,"created-at":%q,
	"payload":{"data":{"type":"inquiry","id":"inq_9b1","attributes":{"status":"approved","reference-id":"usr_t_2002",
	  "birthdate":"1994-03-17","name-first":"Jordan","name-last":"Lee","address-street-1":"1 Main St"}},
	 "included":[
	  {"type":"verification/government-id","id":"ver_gov","attributes":{"status":"passed","birthdate":"1994-03-17",
	    "identification-number":"X1234567","front-photo-url":"https://files.withpersona.example/front.jpg",
	    "checks":[{"name":"id_aamva_database_lookup","status":"passed","reasons":[],"metadata":{"dob":"1994-03-17"}},
	              {"name":"id_expired_detection","status":"passed","reasons":[]}]}},
	  {"type":"verification/selfie","id":"ver_selfie","attributes":{"status":"passed",
	    "center-photo-url":"https://files.withpersona.example/selfie.jpg",
	    "checks":[{"name":"selfie_id_comparison","status":"passed","reasons":["high_similarity"]}]}}]}}}}`, id, name, createdAt))
}

func TestIdentityWebhooksKeepNoPIIAndNeverMoveBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	approved := personaEvent("evt_p_2", "inquiry.approved", "2026-11-24T10:00:00.000Z")
	created := personaEvent("evt_p_1", "inquiry.created", "2026-11-24T09:00:00.000Z")
	stripe := []byte(`{"id":"evt_1Qs","object":"event","type":"identity.verification_session.verified","created":1795514400,
	  "data":{"object":{"id":"vs_1Qz","object":"identity.verification_session","status":"verified","client_reference_id":"usr_b_1001",
	  "verified_outputs":{"dob":{"day":2,"month":1,"year":1990},"id_number":"123-45-6789","first_name":"Alex"}}}}`)
	// Approved, then the older "created", then approved again (a retry).
	b.deliverAs(t, "persona", "p1", approved)
	b.waitFor(t, "approved", func() bool { return b.scalar(t, `select count(*) from webhook_event`) == 1 })
	b.deliverAs(t, "persona", "p2", created)
	b.deliverAs(t, "persona", "p3", approved)
	b.deliverAs(t, "stripe", "s1", stripe)
	// Stripe's older "processing" arrives after "verified", and "verified" twice.
	b.deliverAs(t, "stripe", "s2", []byte(`{"id":"evt_0Qr","object":"event","type":"identity.verification_session.processing","created":1795514000,
	  "data":{"object":{"id":"vs_1Qz","object":"identity.verification_session","status":"processing","client_reference_id":"usr_b_1001"}}}`))
	b.deliverAs(t, "stripe", "s3", stripe)
	b.waitFor(t, "identity jobs", func() bool {
		return b.scalar(t, `select count(*) from river_job where state not in ('completed', 'scheduled')`) == 0
	})

	var status string
	var adult bool
	var checks string
	require.NoError(t, b.pool.QueryRow(b.ctx, `select status, age_verified, checks_json::text from idv_status where user_id = 'usr_t_2002'`).Scan(&status, &adult, &checks))
	require.Equal(t, "passed", status, "the older created event did not move it back")
	require.True(t, adult, "age verified from the birthdate, which is then dropped")
	require.Contains(t, checks, "selfie_id_comparison")
	require.Contains(t, checks, "high_similarity")
	require.Equal(t, 2, b.scalar(t, `select count(*) from webhook_event where provider = 'persona'`), "one record per provider event")
	require.Equal(t, 1, b.scalar(t, `select count(*) from trust_badge where user_id = 'usr_t_2002' and kind = 'id_verified' and expires_at > now()`))
	require.Equal(t, 1, b.scalar(t, `select count(*) from trust_badge where user_id = 'usr_b_1001' and kind = 'id_verified'`), "Stripe too")
	require.Equal(t, 1, b.scalar(t, `select count(*) from idv_status where user_id = 'usr_b_1001' and status = 'passed'`), "Stripe's late processing moved nothing back")
	require.Equal(t, 2, b.scalar(t, `select count(*) from webhook_event where provider = 'stripe'`), "one record per Stripe event")

	// No date of birth, document number, photo URL or name anywhere in what we stored.
	for _, table := range []string{"idv_status", "trust_badge", "webhook_event", "river_job", "inbox"} {
		var dump string
		require.NoError(t, b.pool.QueryRow(b.ctx, `select coalesce(string_agg(t::text, ' '), '') from `+table+` t`).Scan(&dump))
		for _, pii := range []string{"1994-03-17", "X1234567", "withpersona.example", "front.jpg", "selfie.jpg", "Jordan", "123-45-6789", "Alex"} {
			require.NotContains(t, dump, pii, "%s keeps %q", table, pii)
		}
		// Stripe's date of birth is a bare year; a needle of "1990" alone also
		// matches timestamps and hashes, so look for it as a year or a date.
		require.NotRegexp(t, `year"?\s*:\s*1990|1990-01-02`, dump, "%s keeps Stripe's year of birth", table)
	}
}
