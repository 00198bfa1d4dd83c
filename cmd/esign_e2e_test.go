package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign/docusign/docusigntest"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
	"trustdocs/events"
	"trustdocs/testkit"
)

// provider is an e-sign provider's stand-in as the end-to-end test drives it.
type provider struct {
	name string
	env  []string // what points the worker at the stand-in
	// sign plays every signer of an envelope, posting the provider's signed webhooks to
	// the receiver at base.
	sign    func(ctx context.Context, envelopeID, base string) error
	created func() int
	voided  func(envelopeID string) bool
}

func docuSignStandIn(t *testing.T) provider {
	srv := docusigntest.New(t)
	key := filepath.Join(t.TempDir(), "docusign.pem")
	require.NoError(t, os.WriteFile(key, srv.PrivateKeyPEM(), 0o600))
	secret := "connect-hmac-" + testkit.Suffix()
	return provider{
		name: "docusign",
		env: []string{"ESIGN_PROVIDER=docusign", "DOCUSIGN_AUTH_URL=" + srv.AuthURL(), "DOCUSIGN_INTEGRATION_KEY=" + srv.IntegrationKey(),
			"DOCUSIGN_USER_ID=" + srv.UserID(), "DOCUSIGN_ACCOUNT_ID=" + srv.AccountID(), "DOCUSIGN_PRIVATE_KEY_FILE=" + key,
			"WEBHOOK_SECRET_DOCUSIGN=" + secret},
		// DocuSign posts to the envelope's own Connect URL: WEBHOOK_PUBLIC_URL/webhooks/docusign.
		sign:    func(ctx context.Context, id, _ string) error { return srv.Sign(ctx, id, secret) },
		created: srv.Created,
		voided: func(id string) bool {
			e, ok := srv.Envelope(id)
			return ok && e.Status == "voided"
		},
	}
}

func dropboxSignStandIn(t *testing.T) provider {
	key := "dbs-key-" + testkit.Suffix()
	srv := dropboxsigntest.New(t, key)
	return provider{
		name:    "dropboxsign",
		env:     []string{"ESIGN_PROVIDER=dropboxsign", "DROPBOXSIGN_API_KEY=" + key, "DROPBOXSIGN_API_URL=" + srv.URL()},
		sign:    srv.Sign,
		created: srv.Created,
		voided: func(id string) bool {
			r, ok := srv.Request(id)
			return ok && r.Status == dropboxsigntest.StatusCanceled
		},
	}
}

// Each real provider end to end, against its stand-in (which validates every request
// against the provider's own API document): checkout → one envelope per document at the
// provider → signers sign (the provider's signed webhooks through the receiver) →
// executed copies stored under the lock with their hashes → pack signed → doc verify;
// then a cancelled leg's envelopes are voided at the provider.
func TestRealProvidersEndToEnd(t *testing.T) {
	t.Parallel()
	for _, mk := range []func(*testing.T) provider{docuSignStandIn, dropboxSignStandIn} {
		p := mk(t)
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := provision(t, nil)
			receiverAddr := freeAddr(t)
			base := "http://" + receiverAddr
			env := testkit.Env(st.cfg, append([]string{"WORKER_ADDR=127.0.0.1:0", "RECEIVER_ADDR=" + receiverAddr,
				"WEBHOOK_PUBLIC_URL=" + base}, p.env...)...)
			logs := map[string]*syncBuffer{"worker": startBin(t, env, "worker"), "receiver": startBin(t, env, "receiver")}
			waitFor(t, base+"/healthz", &bytes.Buffer{})
			r := runBin(t, env, "pipelinectl", "content", "publish")
			require.Equal(t, 0, r.code, r.stderr)
			r = runBin(t, env, "pipelinectl", "check")
			require.Equal(t, 0, r.code, r.stdout+r.stderr)
			require.Contains(t, r.stdout, "ok   e-sign "+p.name, "credentials proven without sending")
			publish := eventPublisher(t, env)

			checkout := testkit.Example(t, "booking.checkout.completed", nil)
			publish(checkout)
			eventually(t, 60*time.Second, func() bool {
				return st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == 2
			}, "two envelopes sent\nworker log:\n%s", logs["worker"])
			require.Equal(t, 2, p.created(), "one envelope per document at the provider")
			require.Equal(t, 2, st.count(t, `select count(*) from doc_instance where envelope_provider = $1
				and jsonb_typeof(envelope_recipients) = 'object' and envelope_recipients <> '{}'`, p.name), "the provider's ids stored")

			rows, err := st.pool.Query(ctx, `select envelope_id from doc_instance order by doc_id`)
			require.NoError(t, err)
			var envelopes []string
			for rows.Next() {
				var id string
				require.NoError(t, rows.Scan(&id))
				envelopes = append(envelopes, id)
			}
			require.NoError(t, rows.Err())
			for _, e := range envelopes {
				require.NoError(t, p.sign(ctx, e, base))
			}
			eventually(t, 60*time.Second, func() bool {
				return st.text(t, `select status from doc_pack`) == "signed"
			}, "pack signed\nworker log:\n%s\nreceiver log:\n%s", logs["worker"], logs["receiver"])
			require.Equal(t, 2, st.count(t, `select count(*) from doc_instance where signed_pdf_sha256 is not null`),
				"signed only once every executed copy is stored")
			require.Equal(t, 4, st.count(t, `select count(*) from doc_sign_event where event = 'signed' and actor_user_id is not null`),
				"two signers on each document, each mapped to our user")
			for _, docID := range []string{st.text(t, `select min(doc_id) from doc_instance`), st.text(t, `select max(doc_id) from doc_instance`)} {
				r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
				require.Equal(t, 0, r.code, r.stdout+r.stderr)
				require.Contains(t, r.stdout, "ok       executed copy")
			}
			r = runBin(t, env, "pipelinectl", "trace", st.text(t, `select min(doc_id) from doc_instance`))
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "/signed_")
			require.Contains(t, r.stdout, "store_executed_copy job")

			// Another leg, cancelled once its envelopes are out: voided at the provider.
			second := testkit.Example(t, "booking.checkout.completed", func(e *events.Envelope) {
				e.ID = "evt_chk_second"
				e.Data = json.RawMessage(strings.ReplaceAll(string(e.Data), "leg_7Q2M_1", "leg_7Q2M_2"))
			})
			publish(second)
			eventually(t, 60*time.Second, func() bool {
				return st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == 2
			}, "the second leg's envelopes sent\nworker log:\n%s", logs["worker"])
			cancel := testkit.Example(t, "booking.checkout.cancelled", func(e *events.Envelope) {
				e.Data = json.RawMessage(strings.ReplaceAll(string(e.Data), "leg_7Q2M_1", "leg_7Q2M_2"))
			})
			publish(cancel)
			eventually(t, 60*time.Second, func() bool {
				return st.count(t, `select count(*) from doc_sign_event where event = 'voided'`) == 2
			}, "voided evidence\nworker log:\n%s", logs["worker"])
			rows, err = st.pool.Query(ctx, `select envelope_id from doc_instance where envelope_status = 'voided'`)
			require.NoError(t, err)
			n := 0
			for rows.Next() {
				var id string
				require.NoError(t, rows.Scan(&id))
				require.True(t, p.voided(id), "envelope %s voided at the provider", id)
				n++
			}
			require.NoError(t, rows.Err())
			require.Equal(t, 2, n)
			require.Equal(t, 4, p.created(), "still one envelope per document")

			// A third leg, amended once its envelopes are out: the old envelopes voided at
			// the provider, the new pack's sent.
			third := func(e *events.Envelope) {
				e.Data = json.RawMessage(strings.ReplaceAll(string(e.Data), "leg_7Q2M_1", "leg_7Q2M_3"))
			}
			publish(testkit.Example(t, "booking.checkout.completed", func(e *events.Envelope) { e.ID = "evt_chk_third"; third(e) }))
			eventually(t, 60*time.Second, func() bool {
				return st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == 2
			}, "the third leg's envelopes sent\nworker log:\n%s", logs["worker"])
			publish(testkit.Example(t, "booking.checkout.amended", third))
			eventually(t, 60*time.Second, func() bool {
				return st.count(t, `select count(*) from doc_sign_event where event = 'voided'`) == 4 &&
					st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == 2
			}, "superseded envelopes voided, the amended pack's sent\nworker log:\n%s", logs["worker"])
			require.Equal(t, 8, p.created(), "two envelopes for each of the four packs (three legs, one amendment)")
			require.Equal(t, 1, st.count(t, `select count(*) from doc_pack where status = 'superseded'`))
			rows, err = st.pool.Query(ctx, `select d.envelope_id from doc_instance d join doc_pack p using (pack_id) where p.status = 'superseded'`)
			require.NoError(t, err)
			for rows.Next() {
				var id string
				require.NoError(t, rows.Scan(&id))
				require.True(t, p.voided(id), "superseded envelope %s voided at the provider", id)
			}
			require.NoError(t, rows.Err())
		})
	}
}

// eventPublisher publishes events to their topic with pipelinectl publish, as the
// booking system would.
func eventPublisher(t *testing.T, env []string) func(events.Envelope) {
	dir := t.TempDir()
	return func(e events.Envelope) {
		t.Helper()
		raw, err := json.Marshal(e)
		require.NoError(t, err)
		file := filepath.Join(dir, e.ID+".json")
		require.NoError(t, os.WriteFile(file, raw, 0o600))
		r := runBin(t, env, "pipelinectl", "publish", file)
		require.Equal(t, 0, r.code, r.stderr)
	}
}

// A worker killed while the provider is creating an envelope (the request made, the
// answer never read), then a new worker: River rescues the send job, the adapter finds
// the envelope the dead worker created, and each document still has exactly one.
func TestEnvelopeSendSurvivesAKilledWorker(t *testing.T) {
	t.Parallel()
	st := provision(t, nil)
	key := "dbs-key-" + testkit.Suffix()
	srv := dropboxsigntest.New(t, key)
	release := srv.HoldNextCreate()
	t.Cleanup(release)
	env := testkit.Env(st.cfg, "WORKER_ADDR=127.0.0.1:0", "RIVER_JOB_TIMEOUT=5s", "RIVER_RESCUE_AFTER=6s",
		"ESIGN_PROVIDER=dropboxsign", "DROPBOXSIGN_API_KEY="+key, "DROPBOXSIGN_API_URL="+srv.URL())
	r := runBin(t, env, "pipelinectl", "content", "publish")
	require.Equal(t, 0, r.code, r.stderr)

	w := startService(t, env, "worker").cmd
	eventPublisher(t, env)(testkit.Example(t, "booking.checkout.completed", nil))
	eventually(t, 60*time.Second, func() bool { return srv.Created() >= 1 }, "a create in flight")
	require.NoError(t, w.Process.Signal(syscall.SIGKILL))
	_ = w.Wait()
	release()

	logs := startBin(t, env, "worker")
	eventually(t, 60*time.Second, func() bool {
		return st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == 2
	}, "both envelopes sent after the restart\nworker log:\n%s", logs)
	require.Equal(t, 2, srv.Created(), "exactly one envelope per document at the provider")
	require.Equal(t, 2, st.count(t, `select count(distinct envelope_id) from doc_instance`))
}
