package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/idcheck/checkr/checkrtest"
	"trustdocs/idcheck/persona/personatest"
	"trustdocs/idcheck/stripeid/stripeidtest"
	"trustdocs/testkit"
	"trustdocs/trustcache"
	"trustdocs/webhook"
)

// The identity flows with the providers' real payload shapes, through the receiver and
// the real binaries, against stand-ins of their APIs (Persona and Checkr built from
// their published material, Stripe's own stripe-mock under a fixture layer for the date
// of birth): an approved Persona inquiry whose webhook has no date of birth, and a
// verified Stripe session (whose events never carry one), are age-verified through the
// APIs; a Checkr report.completed without its result is completed from Checkr's API;
// id_verified and then trusted_pro reach the trust cache. No date of birth, document
// number or name is in any table, River's job args or the logs.
func TestIdentityFlowsThroughTheProvidersAPIs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	personaAPI := personatest.New(t, "persona-api-key")
	personaAPI.AddInquiry("inq_e2e_1", "1995-09-08", personatest.InFields)
	checkrAPI := checkrtest.New(t, "checkr-api-key")
	checkrAPI.AddReport("rep_e2e_1", "cand_e2e_1", checkrtest.StatusComplete, checkrtest.ResultClear)
	stripeAPI := stripeidtest.WithDOB(t, stripeidtest.StripeMock(t), map[string]*stripeidtest.DOB{"vs_e2e_1": {Year: 1990, Month: 1, Day: 2}})

	receiverAddr := freeAddr(t)
	base := "http://" + receiverAddr
	secrets := map[string]string{"persona": "persona-hook-" + testkit.Suffix(), "stripe": "whsec_" + testkit.Suffix(), "checkr": "checkr-hook-" + testkit.Suffix()}
	env := testkit.Env(st.cfg, "WORKER_ADDR=127.0.0.1:0", "RECEIVER_ADDR="+receiverAddr,
		"WEBHOOK_SECRET_PERSONA="+secrets["persona"], "WEBHOOK_SECRET_STRIPE="+secrets["stripe"], "WEBHOOK_SECRET_CHECKR="+secrets["checkr"],
		"PERSONA_API_KEY=persona-api-key", "PERSONA_API_URL="+personaAPI.URL(),
		"STRIPE_API_KEY=sk_test_123", "STRIPE_API_URL="+stripeAPI.URL,
		"CHECKR_API_KEY=checkr-api-key", "CHECKR_API_URL="+checkrAPI.URL())
	logs := map[string]*syncBuffer{"worker": startBin(t, env, "worker"), "receiver": startBin(t, env, "receiver")}
	waitFor(t, base+"/healthz", &bytes.Buffer{})
	post := func(provider string, body []byte) {
		t.Helper()
		h, err := webhook.Sign(provider, secrets[provider], body, time.Now())
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/"+provider, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, provider)
	}
	const personaUser, stripeUser = "usr_t_7001", "usr_t_7002"
	now := time.Now().UTC()

	// Persona: an approved inquiry in the current payload shape (typed fields), here
	// without a date of birth: the worker asks Persona's API, which has it in fields.
	post("persona", []byte(fmt.Sprintf(`{"data":{"type":"event","id":"evt_p_e2e_1","attributes":{"name":"inquiry.approved","created-at":%q,
	  "payload":{"data":{"type":"inquiry","id":"inq_e2e_1","attributes":{"status":"approved","reference-id":%q,
	    "fields":{"name-first":{"type":"string","value":"Jordan"},"address-street-1":{"type":"string","value":"1 Main St"}}}}}}}}`,
		now.Format(time.RFC3339Nano), personaUser)))
	// Stripe: a verified session, as Stripe sends it (no verified_outputs).
	post("stripe", []byte(fmt.Sprintf(`{"id":"evt_s_e2e_1","object":"event","type":"identity.verification_session.verified","created":%d,
	  "data":{"object":{"id":"vs_e2e_1","object":"identity.verification_session","status":"verified","client_reference_id":%q}}}`,
		now.Unix(), stripeUser)))

	item := func(user string) (bool, bool, bool) {
		it, found, err := trustcache.Table{DB: st.clients.DynamoDB, Name: st.cfg.TrustCacheTable}.Get(ctx, user)
		require.NoError(t, err)
		return found && it.AgeVerified, found && len(it.Badges) > 0 && it.Badges[0] == "id_verified", found && it.TrustedPro
	}
	for _, u := range []string{personaUser, stripeUser} {
		eventually(t, 60*time.Second, func() bool { age, idv, _ := item(u); return age && idv },
			"%s age-verified with id_verified in the cache\nworker log:\n%s\nreceiver log:\n%s", u, logs["worker"], logs["receiver"])
	}

	// Checkr: the background check requested, then a report.completed without its
	// result: read from Checkr's API, clear, so trusted_pro.
	publish := eventPublisher(t, env)
	publish(events.Envelope{ID: "evt_bg_e2e_1", Type: events.BackgroundCheckAsked, Source: "trust", OccurredAt: now,
		Data: json.RawMessage(fmt.Sprintf(`{"user_id":%q,"provider":"checkr","candidate_id":"cand_e2e_1","package":"basic_us"}`, personaUser))})
	eventually(t, 60*time.Second, func() bool {
		return st.count(t, `select count(*) from bg_candidate where candidate_id = 'cand_e2e_1'`) == 1
	}, "the background check registered\nworker log:\n%s", logs["worker"])
	post("checkr", []byte(fmt.Sprintf(`{"id":"evt_c_e2e_1","object":"event","type":"report.completed","created_at":%q,
	  "data":{"object":{"id":"rep_e2e_1","object":"report","status":"complete","candidate_id":"cand_e2e_1","package":"basic_us"}}}`,
		now.Add(time.Second).Format(time.RFC3339))))
	eventually(t, 60*time.Second, func() bool { _, _, pro := item(personaUser); return pro },
		"trusted_pro in the cache\nworker log:\n%s", logs["worker"])
	require.Equal(t, "clear", st.text(t, `select status from bg_status where provider_ref = 'cand_e2e_1'`))

	// The retrieval shows in the user's trace, with its outcome and nothing personal.
	r := runBin(t, env, "pipelinectl", "trace", stripeUser)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "verify_age job")
	require.Contains(t, r.stdout, `{"outcome":"age_verified"}`)

	// No date of birth, name, address or document data anywhere: every table, the jobs'
	// args, the logs.
	var tables []string
	rows, err := st.pool.Query(ctx, `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`)
	require.NoError(t, err)
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, tables, "river_job")
	needles := []string{"1995-09-08", "1990-01-02", "Jordan", "1 Main St"}
	for _, table := range tables {
		var dump string
		require.NoError(t, st.pool.QueryRow(ctx, `select coalesce(string_agg(t::text, ' '), '') from "`+table+`" t`).Scan(&dump))
		for _, pii := range needles {
			require.NotContains(t, dump, pii, "%s keeps %q", table, pii)
		}
		require.NotRegexp(t, `year"?\s*:\s*1990`, dump, "%s keeps Stripe's year of birth", table)
	}
	for name, log := range logs {
		for _, pii := range needles {
			require.False(t, strings.Contains(log.String(), pii), "the %s log holds %q", name, pii)
		}
	}
}
