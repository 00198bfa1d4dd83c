package cmd_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/testkit"
)

// The whole path with the real binaries: a checkout published to booking-events
// becomes an issued pack; the sandbox provider's signatures, posted as signed DocuSign
// Connect webhooks to the receiver, make it signed; doc verify proves each document.
func TestCheckoutToSignedPackThroughTheRealBinaries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	testkit.DB(t, &cfg)
	clients := testkit.AWS(t, cfg)
	testkit.Bootstrap(t, cfg, clients)
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	scalar := func(sql string) string {
		var s string
		require.NoError(t, pool.QueryRow(ctx, sql).Scan(&s))
		return s
	}
	receiverAddr := freeAddr(t)
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0", "RECEIVER_ADDR="+receiverAddr,
		"WEBHOOK_SECRET_DOCUSIGN=old-connect-key,test-connect-key-"+testkit.Suffix())

	logs := map[string]*bytes.Buffer{}
	for _, name := range []string{"worker", "receiver"} {
		cmd := exec.Command(filepath.Join(binDir, name))
		cmd.Env = env
		logs[name] = &bytes.Buffer{}
		cmd.Stderr = logs[name]
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	}
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

	r = runBin(t, env, "pipelinectl", "sandbox", "sign", packID)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	deadline = time.Now().Add(60 * time.Second)
	for scalar(`select status from doc_pack`) != "signed" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, "signed", scalar(`select status from doc_pack`), "worker log:\n%s\nreceiver log:\n%s", logs["worker"], logs["receiver"])
	require.Equal(t, "4", scalar(`select count(*)::text from doc_sign_event where event = 'signed'`), "two signers on each of two documents")

	for _, docID := range []string{scalar(`select min(doc_id) from doc_instance`), scalar(`select max(doc_id) from doc_instance`)} {
		r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		require.Contains(t, r.stdout, "ok       evidence chain")
	}
}
