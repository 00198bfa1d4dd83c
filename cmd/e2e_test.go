package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/testkit"
)

// The whole path with the real binaries: a checkout published to booking-events
// becomes an issued pack; the sandbox provider's signatures, posted as signed DocuSign
// Connect webhooks to the receiver, make it signed; doc verify proves each document.
func TestCheckoutToSignedPackThroughTheRealBinaries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	cfg, clients := st.cfg, st.clients
	listener := testkit.Listen(t, clients, st.rep.TopicARNs[cfg.PipelineTopic]) // as the booking system does
	pool := st.pool
	scalar := func(sql string) string { return st.text(t, sql) }
	receiverAddr := freeAddr(t)
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0", "RECEIVER_ADDR="+receiverAddr,
		"WEBHOOK_SECRET_DOCUSIGN=old-connect-key,test-connect-key-"+testkit.Suffix())

	logs := map[string]*syncBuffer{"worker": startBin(t, env, "worker"), "receiver": startBin(t, env, "receiver")}
	waitFor(t, "http://"+receiverAddr+"/healthz", &bytes.Buffer{})

	r := runBin(t, env, "pipelinectl", "content", "publish")
	require.Equal(t, 0, r.code, r.stderr)
	r = runBin(t, env, "pipelinectl", "publish", "../events/examples/booking.checkout.completed.json")
	require.Equal(t, 0, r.code, r.stderr)

	deadline := time.Now().Add(60 * time.Second)
	for scalar(`select count(*)::text from doc_instance where envelope_status = 'sent'`) != "2" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	packID := scalar(`select pack_id from doc_pack`)
	require.Equal(t, "issued", scalar(`select status from doc_pack`))

	// Each PDF, read from MinIO at the seed's layout, shows its filled variables.
	rows, err := pool.Query(ctx, `select doc_id, variables_filled from doc_instance`)
	require.NoError(t, err)
	for rows.Next() {
		var docID string
		var vars map[string]string
		require.NoError(t, rows.Scan(&docID, &vars))
		docs := docstore.Store{S3: clients.S3, Bucket: cfg.DocsBucket, Env: cfg.DocsEnv}
		pdf, err := docs.Get(ctx, docs.Keys(packID, docID, 1).PDF)
		require.NoError(t, err)
		flat := testkit.PDFText(t, pdf)
		for name, v := range vars {
			require.Contains(t, flat, testkit.Squash(v), "%s in %s", name, docID)
		}
	}
	require.NoError(t, rows.Err())

	r = runBin(t, env, "pipelinectl", "sandbox", "sign", packID)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	// Webhooks are applied concurrently and may land in any order (envelope-completed
	// before a recipient's signature): wait for the pack and for every evidence row.
	deadline = time.Now().Add(60 * time.Second)
	for (scalar(`select status from doc_pack`) != "signed" || scalar(`select count(*)::text from doc_sign_event where event = 'signed'`) != "4") &&
		time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, "signed", scalar(`select status from doc_pack`), "worker log:\n%s\nreceiver log:\n%s", logs["worker"], logs["receiver"])
	require.Equal(t, "4", scalar(`select count(*)::text from doc_sign_event where event = 'signed'`), "two signers on each of two documents")

	for _, docID := range []string{scalar(`select min(doc_id) from doc_instance`), scalar(`select max(doc_id) from doc_instance`)} {
		r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		require.Contains(t, r.stdout, "ok       evidence chain")
	}

	// trace of a signed document: checkout -> render -> upload -> envelope -> sign events
	// -> signed, in that order, for a person and as JSON.
	docID := scalar(`select min(doc_id) from doc_instance`)
	r = runBin(t, env, "pipelinectl", "trace", docID, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var tr struct {
		Kind    string              `json:"kind"`
		Related map[string][]string `json:"related"`
		Entries []struct {
			Kind    string         `json:"kind"`
			Ref     string         `json:"ref"`
			Summary string         `json:"summary"`
			Detail  map[string]any `json:"detail"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tr), r.stdout)
	require.Equal(t, "doc", tr.Kind)
	require.Equal(t, []string{packID}, tr.Related["pack"])
	first := map[string]int{}
	mark := func(step string, i int) {
		if _, ok := first[step]; !ok {
			first[step] = i
		}
	}
	for i, e := range tr.Entries {
		switch {
		case e.Kind == "inbox" && strings.Contains(e.Summary, events.CheckoutCompleted):
			mark("checkout", i)
		case e.Kind == "job" && e.Detail["kind"] == "build_doc_pack": // renders and stores a checkout's documents
			mark("render", i)
		case e.Kind == "s3" && strings.HasSuffix(e.Ref, "doc_"+docID+"_v1.pdf"):
			mark("upload", i)
		case e.Kind == "sign_event" && e.Detail["event"] == "envelope_sent":
			mark("envelope", i)
		case e.Kind == "sign_event" && e.Detail["event"] == "signed":
			mark("sign events", i)
		case e.Kind == "pack" && e.Detail["status"] == "signed":
			mark("signed", i)
		case e.Kind == "outbound" && e.Detail["event_type"] == events.DocPackSigned:
			mark("doc_pack.signed", i)
		}
	}
	steps := []string{"checkout", "render", "upload", "envelope", "sign events", "signed", "doc_pack.signed"}
	for i, s := range steps {
		require.Contains(t, first, s, "trace has %s:\n%s", s, r.stdout)
		if i > 0 {
			require.Less(t, first[steps[i-1]], first[s], "%s before %s:\n%s", steps[i-1], s, r.stdout)
		}
	}
	r = runBin(t, env, "pipelinectl", "trace", docID)
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"trace of doc " + docID, "accepted from booking via " + cfg.CheckoutQueue, "build_doc_pack job", "stored s3://",
		"envelope_sent", "signed by ", "pack " + packID + " signed", "doc_pack.signed"} {
		require.Contains(t, r.stdout, want)
	}
	t.Logf("trace %s:\n%s", docID, r.stdout)
	for _, id := range []string{packID, "leg_7Q2M_1", "evt_chk_7Q2M4X1B"} {
		r = runBin(t, env, "pipelinectl", "trace", id)
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stdout, "pack "+packID+" signed", id)
	}

	// The booking system heard doc_pack.issued and doc_pack.signed, once each.
	heard := map[string]int{}
	for _, e := range testkit.Heard(t, clients, listener) {
		heard[e.Type]++
	}
	require.Equal(t, map[string]int{events.DocPackIssued: 1, events.DocPackSigned: 1}, heard)
}
