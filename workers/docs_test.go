package workers_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"trustdocs/content"
	"trustdocs/esign"
	"trustdocs/events"
	"trustdocs/evidence"
	"trustdocs/store"
	"trustdocs/testkit"
	"trustdocs/workers"
)

// listen subscribes a fresh queue to pipeline-events and returns its URL.
func (b *bundle) listen(t *testing.T) string {
	t.Helper()
	return testkit.Listen(t, b.aws, b.rep.TopicARNs[b.cfg.PipelineTopic])
}

func (b *bundle) publishContent(t *testing.T) {
	t.Helper()
	lib, err := content.Load(content.FS)
	require.NoError(t, err)
	tx, err := b.pool.Begin(b.ctx)
	require.NoError(t, err)
	_, err = store.PublishContentTx(b.ctx, tx, lib, "test")
	require.NoError(t, err)
	require.NoError(t, tx.Commit(b.ctx))
}

func checkoutEvent(t *testing.T) events.Envelope {
	t.Helper()
	body, err := os.ReadFile("../events/examples/booking.checkout.completed.json")
	require.NoError(t, err)
	env, err := events.Decode(body)
	require.NoError(t, err)
	return env
}

func (b *bundle) scalar(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(b.ctx, sql, args...).Scan(&n))
	return n
}

func (b *bundle) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			var stuck string
			_ = b.pool.QueryRow(b.ctx, `select coalesce(string_agg(kind || ' ' || state || ' ' || errors::text, E'\n'), '')
				from river_job where state not in ('completed', 'scheduled')`).Scan(&stuck)
			t.Fatalf("timed out waiting for %s; jobs not done:\n%s", what, stuck)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCheckoutBecomesAnIssuedPackOfLockedHashedPDFsSentForSignature(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publishContent(t)
	listener := b.listen(t)
	env := checkoutEvent(t)
	params, err := workers.JobsFor(env)
	require.NoError(t, err)
	// The build job twice, as a replay would: still one pack.
	_, err = b.river.InsertMany(b.ctx, append(params, params...))
	require.NoError(t, err)

	packID := workers.PackID(env.ID)
	b.waitFor(t, "envelopes", func() bool {
		return b.scalar(t, `select count(*) from doc_instance where pack_id = $1 and envelope_status = 'sent'`, packID) == 2
	})
	require.Equal(t, 1, b.scalar(t, `select count(*) from doc_pack`), "one pack")
	require.Equal(t, 1, b.scalar(t, `select count(*) from doc_pack where status = 'issued' and leg_id = 'leg_7Q2M_1'`))
	require.Equal(t, 2, b.scalar(t, `select count(*) from doc_sign_event where event = 'envelope_sent'`), "one envelope_sent per document")

	rows, err := b.pool.Query(b.ctx, `select doc_id, render_pdf_s3, render_pdf_sha256, variables_filled from doc_instance where pack_id = $1`, packID)
	require.NoError(t, err)
	type doc struct {
		id, uri, sha string
		vars         map[string]string
	}
	var docs []doc
	for rows.Next() {
		var d doc
		var raw []byte
		require.NoError(t, rows.Scan(&d.id, &d.uri, &d.sha, &raw))
		require.NoError(t, json.Unmarshal(raw, &d.vars))
		docs = append(docs, d)
	}
	require.NoError(t, rows.Err())
	require.Len(t, docs, 2)

	for _, d := range docs {
		keys := b.docs().Keys(packID, d.id, 1)
		require.Equal(t, "s3://"+b.cfg.DocsBucket+"/"+keys.PDF, d.uri)

		versions, err := b.aws.S3.ListObjectVersions(b.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b.cfg.DocsBucket), Prefix: aws.String(keys.PDF)})
		require.NoError(t, err)
		require.Len(t, versions.Versions, 1, "one PDF version per document")
		head, err := b.aws.S3.HeadObject(b.ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(keys.PDF)})
		require.NoError(t, err)
		require.Equal(t, s3types.ObjectLockModeCompliance, head.ObjectLockMode, "under retention")

		pdf, err := b.docs().Get(b.ctx, keys.PDF)
		require.NoError(t, err)
		hashFile, err := b.docs().Get(b.ctx, keys.Hash)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(hashFile), d.sha+"  "), "hash file matches the database")
		envelope, err := b.docs().Get(b.ctx, keys.Envelope)
		require.NoError(t, err)
		require.Contains(t, string(envelope), `"envelope_id": "env_sbx_`)

		text := testkit.PDFText(t, pdf)
		for name, v := range d.vars {
			require.Contains(t, text, testkit.Squash(v), "variable %s appears in %s", name, d.id)
		}
		// Every clause of the document is there: its headings, as the reader sees them.
		var bodies []string
		require.NoError(t, b.pool.QueryRow(b.ctx, `
			select array_agg(c.body_markdown) from doc_instance d join doc_clause c on c.clause_id = any (d.clause_ids)
			where d.doc_id = $1`, d.id).Scan(&bodies))
		require.NotEmpty(t, bodies)
		for _, body := range bodies {
			for _, line := range strings.Split(body, "\n") {
				if h, ok := strings.CutPrefix(line, "## "); ok {
					require.Contains(t, text, testkit.Squash(h), "clause heading in %s", d.id)
				}
			}
		}
		require.Contains(t, text, testkit.Squash("Page 1 of"))
	}

	got := testkit.Heard(t, b.aws, listener)
	require.Len(t, got, 1, "doc_pack.issued published once")
	require.Equal(t, events.DocPackIssued, got[0].Type)
	require.Contains(t, string(got[0].Data), packID)
}

// issuePack runs a checkout through build, render and send, and returns the pack's
// documents.
func (b *bundle) issuePack(t *testing.T) (string, []string) {
	t.Helper()
	b.publishContent(t)
	env := checkoutEvent(t)
	params, err := workers.JobsFor(env)
	require.NoError(t, err)
	_, err = b.river.InsertMany(b.ctx, params)
	require.NoError(t, err)
	packID := workers.PackID(env.ID)
	b.waitFor(t, "envelopes", func() bool {
		return b.scalar(t, `select count(*) from doc_instance where pack_id = $1 and envelope_status = 'sent'`, packID) == 2
	})
	ids, err := store.PackDocIDs(b.ctx, b.pool, packID)
	require.NoError(t, err)
	return packID, ids
}

func TestVerifyProvesADocumentAndCatchesEveryMismatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	packID, docs := b.issuePack(t)
	docID := docs[0]
	keys := b.docs().Keys(packID, docID, 1)

	r, err := evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
	require.Len(t, r.Checks, 6) // database hash, hash file, re-render, evidence chain, evidence anchor (none yet: sent), retention
	require.Equal(t, "COMPLIANCE", r.RetentionMode)
	require.False(t, r.LegalHold)

	// Legal hold on, recorded with who and why.
	held, err := evidence.SetLegalHold(b.ctx, b.pool, b.docs(), docID, true, "legal@acme", "dispute 42")
	require.NoError(t, err)
	require.Contains(t, held, keys.PDF)
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.True(t, r.LegalHold)
	require.Equal(t, "legal@acme", r.LegalHoldActor)
	require.Equal(t, "dispute 42", r.LegalHoldWhy)

	// Deleting the locked PDF version is refused.
	versions, err := b.aws.S3.ListObjectVersions(b.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b.cfg.DocsBucket), Prefix: aws.String(keys.PDF)})
	require.NoError(t, err)
	_, err = b.aws.S3.DeleteObject(b.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(keys.PDF), VersionId: versions.Versions[0].VersionId})
	require.Error(t, err)

	// An evidence row edited by hand breaks the chain. The append-only trigger (migration
	// 00015) refuses the edit unless triggers are off, which only the table's owner or a
	// superuser (this connection) can do.
	editEvidence := func(email any) {
		t.Helper()
		require.NoError(t, store.InTx(b.ctx, b.pool, func(tx store.Tx) error {
			if _, err := tx.Exec(b.ctx, `set local session_replication_role = replica`); err != nil {
				return err
			}
			_, err := tx.Exec(b.ctx, `update doc_sign_event set actor_email = $2 where doc_id = $1 and event = 'envelope_sent'`, docID, email)
			return err
		}))
	}
	editEvidence("someone@else.example")
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.Equal(t, []string{"evidence chain"}, failed(r))
	editEvidence(nil)

	// A hash file replaced by a new version no longer matches.
	_, err = b.aws.S3.PutObject(b.ctx, &s3.PutObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(keys.Hash),
		Body: strings.NewReader(strings.Repeat("0", 64) + "  forged\n"), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	require.NoError(t, err)
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.False(t, r.OK())
	require.Equal(t, []string{"hash file"}, failed(r))

	// A database hash edited by hand no longer matches either.
	_, err = b.pool.Exec(b.ctx, `update doc_instance set render_pdf_sha256 = repeat('f', 64) where doc_id = $1`, docID)
	require.NoError(t, err)
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.Equal(t, []string{"database hash", "hash file"}, failed(r))

	_, err = evidence.SetLegalHold(b.ctx, b.pool, b.docs(), docID, false, "legal@acme", "dispute 42 settled")
	require.NoError(t, err)
}

func failed(r evidence.Report) []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestAmendmentsSupersedeAndCancellationVoids(t *testing.T) {
	t.Parallel()
	b := setup(t)
	listener := b.listen(t)
	first, _ := b.issuePack(t)
	run := func(env events.Envelope) {
		params, err := workers.JobsFor(env)
		require.NoError(t, err)
		_, err = b.river.InsertMany(b.ctx, params)
		require.NoError(t, err)
	}
	live := func() (string, string) {
		var id, status string
		require.NoError(t, b.pool.QueryRow(b.ctx, `select pack_id, status from doc_pack where leg_id = 'leg_7Q2M_1' and status in ('draft','issued','signed')`).Scan(&id, &status))
		return id, status
	}

	amend1 := testkit.Example(t, "booking.checkout.amended", nil)
	amend2 := testkit.Example(t, "booking.checkout.amended", func(e *events.Envelope) {
		e.ID, e.OccurredAt = "evt_chk_7Q2M4X1C_2", e.OccurredAt.Add(time.Hour)
	})
	for i, amend := range []events.Envelope{amend1, amend2} {
		run(amend)
		want := workers.PackID(amend.ID)
		b.waitFor(t, "amended pack issued", func() bool {
			return b.scalar(t, `select count(*) from doc_instance where pack_id = $1 and envelope_status = 'sent'`, want) == 2
		})
		id, status := live()
		require.Equal(t, want, id)
		require.Equal(t, "issued", status)
		require.Equal(t, i+1, b.scalar(t, `select count(*) from doc_pack where status = 'superseded'`), "repeated supersedes work")
	}
	require.Equal(t, 4, b.scalar(t, `select count(*) from doc_instance where envelope_status = 'voided'`), "old envelopes voided")
	require.Equal(t, 4, b.scalar(t, `select count(*) from doc_sign_event where event = 'voided'`))
	require.Equal(t, 0, b.scalar(t, `select count(*) from doc_instance where pack_id = $1 and envelope_status <> 'voided'`, first))

	// A replay of the first amendment, now older than the live pack, changes nothing.
	run(amend1)
	time.Sleep(500 * time.Millisecond)
	id, _ := live()
	require.Equal(t, workers.PackID(amend2.ID), id)
	require.Equal(t, 3, b.scalar(t, `select count(*) from doc_pack`))

	cancel := testkit.Example(t, "booking.checkout.cancelled", func(e *events.Envelope) { e.OccurredAt = amend2.OccurredAt.Add(time.Hour) })
	run(cancel)
	b.waitFor(t, "voided pack", func() bool {
		return b.scalar(t, `select count(*) from doc_pack where pack_id = $1 and status = 'voided'`, workers.PackID(amend2.ID)) == 1
	})
	require.Equal(t, 6, b.scalar(t, `select count(*) from doc_sign_event where event = 'voided'`))
	require.Equal(t, 0, b.scalar(t, `select count(*) from doc_pack where status in ('draft','issued','signed')`), "nothing live after the cancellation")

	b.waitFor(t, "outbound events", func() bool {
		return b.scalar(t, `select count(*) from river_job where kind = 'publish_event' and state <> 'completed'`) == 0
	})
	counts := map[string]int{}
	for _, e := range testkit.Heard(t, b.aws, listener) {
		counts[e.Type]++
	}
	require.Equal(t, map[string]int{events.DocPackIssued: 3, events.DocPackSuperseded: 2, events.DocPackVoided: 1}, counts)
}

func TestCancellationBeforeItsCheckoutArrivesWins(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publishContent(t)
	// Delivered out of order: the cancellation first, then the older checkout and amendment.
	for _, name := range []string{"booking.checkout.cancelled", "booking.checkout.completed", "booking.checkout.amended"} {
		params, err := workers.JobsFor(testkit.Example(t, name, nil))
		require.NoError(t, err)
		_, err = b.river.InsertMany(b.ctx, params)
		require.NoError(t, err)
		b.waitFor(t, name, func() bool { return b.scalar(t, `select count(*) from river_job where state <> 'completed'`) == 0 })
	}
	require.Equal(t, 0, b.scalar(t, `select count(*) from doc_pack`), "no pack for a leg cancelled after those events")
	require.Equal(t, 1, b.scalar(t, `select count(*) from booking_leg where leg_id = 'leg_7Q2M_1' and cancelled_at is not null`))
}

// envelope returns a sent document's envelope id and its signers' emails by role.
func (b *bundle) envelope(t *testing.T, docID string) (string, map[string]struct {
	Email string `json:"email"`
}) {
	t.Helper()
	var envelopeID string
	var signers map[string]struct {
		Email string `json:"email"`
	}
	var raw []byte
	require.NoError(t, b.pool.QueryRow(b.ctx, `select envelope_id, signer_map_json from doc_instance where doc_id = $1`, docID).Scan(&envelopeID, &raw))
	require.NoError(t, json.Unmarshal(raw, &signers))
	return envelopeID, signers
}

func (b *bundle) deliver(t *testing.T, id string, body []byte) {
	t.Helper()
	b.deliverAs(t, "docusign", id, body)
}

func (b *bundle) deliverAs(t *testing.T, provider, id string, body []byte) {
	t.Helper()
	b.deliverWith(t, provider, id, map[string]string{}, body)
}

func (b *bundle) deliverWith(t *testing.T, provider, id string, headers map[string]string, body []byte) {
	t.Helper()
	data, err := json.Marshal(events.Webhook{Provider: provider, Headers: headers, BodyBase64: body,
		ReceivedAt: time.Now().UTC(), ReceiptID: "rcp_" + id})
	require.NoError(t, err)
	params, err := workers.JobsFor(events.Envelope{ID: "whk_" + id, Type: events.WebhookReceived, Source: "receiver", OccurredAt: time.Now().UTC(), Data: data})
	require.NoError(t, err)
	_, err = b.river.InsertMany(b.ctx, params)
	require.NoError(t, err)
}

func TestProviderEventsSignThePackOnceWhateverTheOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	listener := b.listen(t)
	packID, docs := b.issuePack(t)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	n := 0
	for _, docID := range docs {
		envelopeID, signers := b.envelope(t, docID)
		i := 0
		for role, s := range signers {
			i++
			rid := fmt.Sprint(i)
			signed := esign.ConnectMessage("recipient-completed", envelopeID, rid, role, s.Email, t0.Add(time.Duration(i)*time.Minute))
			viewed := esign.ConnectMessage("recipient-delivered", envelopeID, rid, role, s.Email, t0.Add(time.Duration(i)*time.Minute-30*time.Second))
			// Signed arrives before viewed, and signed twice.
			for _, body := range [][]byte{signed, viewed, signed} {
				n++
				b.deliver(t, fmt.Sprint(n), body)
			}
		}
		completed := esign.ConnectMessage("envelope-completed", envelopeID, "", "", "", t0.Add(10*time.Minute))
		n++
		b.deliver(t, fmt.Sprint(n), completed)
		n++
		b.deliver(t, fmt.Sprint(n), completed) // a retry
		// A late envelope-sent after completion must not move the status back.
		n++
		b.deliver(t, fmt.Sprint(n), esign.ConnectMessage("envelope-sent", envelopeID, "", "", "", t0.Add(-time.Hour)))
	}
	b.waitFor(t, "webhooks handled", func() bool {
		return b.scalar(t, `select count(*) from river_job where state <> 'completed'`) == 0
	})
	require.Equal(t, "signed", func() string {
		var s string
		require.NoError(t, b.pool.QueryRow(b.ctx, `select status from doc_pack where pack_id = $1`, packID).Scan(&s))
		return s
	}())
	require.Equal(t, 2, b.scalar(t, `select count(*) from doc_instance where envelope_status = 'completed'`), "no status moved back")
	// Per document: envelope_sent (ours), then per signer one viewed and one signed; the
	// late provider envelope-sent is evidence too (one row), completions add no row.
	for _, docID := range docs {
		require.Equal(t, 2, b.scalar(t, `select count(*) from doc_sign_event where doc_id = $1 and event = 'signed'`, docID))
		require.Equal(t, 2, b.scalar(t, `select count(*) from doc_sign_event where doc_id = $1 and event = 'viewed'`, docID))
		breaks, _, err := store.VerifySignChain(b.ctx, b.pool, docID)
		require.NoError(t, err)
		require.Empty(t, breaks, "evidence chain intact")
	}
	require.Equal(t, 1, b.scalar(t, `select count(*) from webhook_event where outcome = 'applied' and event_type = 'envelope-completed' and subject = $1`, docs[0]))
	b.waitFor(t, "outbound", func() bool {
		return b.scalar(t, `select count(*) from river_job where kind = 'publish_event' and state <> 'completed'`) == 0
	})
	counts := map[string]int{}
	for _, e := range testkit.Heard(t, b.aws, listener) {
		counts[e.Type]++
	}
	require.Equal(t, 1, counts[events.DocPackSigned], "doc_pack.signed once")
}

// Dropbox Sign's events sign a pack the same way: out of order, duplicated, and a late
// "sent" after completion moves nothing back.
func TestDropboxSignEventsSignThePack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	packID, docs := b.issuePack(t)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	n := 0
	send := func(ct string, body []byte) {
		n++
		b.deliverWith(t, "dropboxsign", fmt.Sprint(n), map[string]string{"Content-Type": ct}, body)
	}
	for _, docID := range docs {
		envelopeID, signers := b.envelope(t, docID)
		i := 0
		for role, s := range signers {
			i++
			at := t0.Add(time.Duration(i) * time.Minute)
			signed, sb := esign.DropboxCallback("k", "signature_request_signed", envelopeID, "sig_"+role, role, s.Email, at)
			viewed, vb := esign.DropboxCallback("k", "signature_request_viewed", envelopeID, "sig_"+role, role, s.Email, at.Add(-30*time.Second))
			send(signed, sb)
			send(viewed, vb)
			send(signed, sb)
		}
		all, ab := esign.DropboxCallback("k", "signature_request_all_signed", envelopeID, "", "", "", t0.Add(10*time.Minute))
		send(all, ab)
		send(all, ab)
		sent, sb := esign.DropboxCallback("k", "signature_request_sent", envelopeID, "", "", "", t0.Add(-time.Hour))
		send(sent, sb)
	}
	b.waitFor(t, "webhooks handled", func() bool {
		return b.scalar(t, `select count(*) from river_job where state <> 'completed'`) == 0
	})
	require.Equal(t, 1, b.scalar(t, `select count(*) from doc_pack where pack_id = $1 and status = 'signed'`, packID))
	require.Equal(t, 2, b.scalar(t, `select count(*) from doc_instance where envelope_status = 'completed'`), "no status moved back")
	for _, docID := range docs {
		require.Equal(t, 2, b.scalar(t, `select count(*) from doc_sign_event where doc_id = $1 and event = 'signed'`, docID), "one row per provider event")
		require.Equal(t, 2, b.scalar(t, `select count(*) from doc_sign_event where doc_id = $1 and event = 'viewed'`, docID))
		breaks, _, err := store.VerifySignChain(b.ctx, b.pool, docID)
		require.NoError(t, err)
		require.Empty(t, breaks)
	}
	require.Equal(t, 2, b.scalar(t, `select count(*) from webhook_event where provider = 'dropboxsign' and event_type = 'signature_request_all_signed'`))
}
