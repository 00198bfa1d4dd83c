package cmd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/testkit"
)

// The pipeline run the way README "Database roles" says: `pipelinectl migrate --roles`
// as the administrator sets up the owner and the runtime role (passwords from files,
// never printed), then the worker, the receiver and pipelinectl run as the runtime role
// and take a checkout to a signed, verified pack: River works on tables it cannot
// migrate (the worker migrates nothing), the hourly prune runs at start and deletes
// with the runtime role's grants, and the operators' commands read and write what they
// need. The runtime role cannot migrate; the owner can, and its migrate grants again.
func TestPipelineRunsAsTheRuntimeRole(t *testing.T) {
	t.Parallel()
	st := provision(t, nil) // the administrator migrated it, as a database from before the roles
	cfg := st.cfg
	owner, runtime := testkit.RoleNames(t, cfg)
	secrets := t.TempDir()
	ownerPW, runtimePW := "own-"+testkit.Suffix()+testkit.Suffix(), "app-"+testkit.Suffix()+testkit.Suffix()
	ownerFile, runtimeFile := filepath.Join(secrets, "db-owner"), filepath.Join(secrets, "db-app")
	require.NoError(t, os.WriteFile(ownerFile, []byte(ownerPW+"\n"), 0o600))
	require.NoError(t, os.WriteFile(runtimeFile, []byte(runtimePW+"\n"), 0o600))

	// Set up: one from the environment's *_FILE, one from a flag.
	r := runBin(t, testkit.Env(cfg, "DB_OWNER_PASSWORD_FILE="+ownerFile), "pipelinectl", "migrate",
		"--roles", "--owner", owner, "--runtime", runtime, "--runtime-password-file", runtimeFile)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	for _, want := range []string{"created role " + owner, "created role " + runtime, "set the password of " + owner,
		"set the password of " + runtime, "objects of the schema to " + owner, "migrating as " + owner, "schema is current", "granted " + runtime} {
		require.Contains(t, r.stdout, want)
	}
	for _, pw := range []string{ownerPW, runtimePW} {
		require.NotContains(t, r.stdout+r.stderr, pw, "a password is never printed")
	}
	require.Equal(t, 2, st.count(t, `select count(*) from pg_authid where rolname in ($1, $2) and rolpassword like 'SCRAM-SHA-256$4096:%'`, owner, runtime),
		"both passwords stored as SCRAM verifiers")
	require.Zero(t, st.count(t, `select count(*) from pg_authid where rolpassword like '%' || $1 || '%' or rolpassword like '%' || $2 || '%'`, ownerPW, runtimePW))

	r = runBin(t, testkit.Env(cfg), "pipelinectl", "migrate", "--owner", owner)
	requireOneLineError(t, r, "--owner is for --roles")
	bad := filepath.Join(secrets, "empty")
	require.NoError(t, os.WriteFile(bad, nil, 0o600))
	r = runBin(t, testkit.Env(cfg), "pipelinectl", "migrate", "--roles", "--owner", owner, "--runtime", runtime, "--owner-password-file", bad)
	requireOneLineError(t, r, "--owner-password-file "+bad+": the file is empty")

	// Everything below runs as the runtime role (its password from a file, as a deploy
	// mounts it; the local server trusts loopback logins, so it is not checked here).
	rtCfg := cfg
	rtCfg.DatabaseURL = testkit.URLAs(t, cfg.DatabaseURL, runtime)
	receiverAddr := freeAddr(t)
	env := testkit.Env(rtCfg, "DATABASE_PASSWORD_FILE="+runtimeFile, "WORKER_ADDR=127.0.0.1:0", "RECEIVER_ADDR="+receiverAddr,
		"WEBHOOK_SECRET_DOCUSIGN=test-connect-key-"+testkit.Suffix())
	worker, receiver := startBin(t, env, "worker"), startBin(t, env, "receiver")
	waitFor(t, "http://"+receiverAddr+"/healthz", &bytes.Buffer{})

	r = runBin(t, env, "pipelinectl", "content", "publish")
	require.Equal(t, 0, r.code, r.stderr)
	r = runBin(t, env, "pipelinectl", "publish", "../events/examples/booking.checkout.completed.json")
	require.Equal(t, 0, r.code, r.stderr)
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nworker log:\n%s\nreceiver log:\n%s", what, worker, receiver)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitUntil("envelopes sent", func() bool {
		return st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == 2
	})
	require.Positive(t, st.count(t, `select count(*) from pg_stat_activity where usename = $1 and datname = current_database()`, runtime),
		"the worker is logged in as the runtime role")
	packID := st.text(t, `select pack_id from doc_pack`)
	r = runBin(t, env, "pipelinectl", "sandbox", "sign", packID)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	waitUntil("the pack signed", func() bool {
		return st.text(t, `select status from doc_pack`) == "signed" &&
			st.count(t, `select count(*) from doc_sign_event where event = 'signed'`) == 4
	})
	for _, docID := range []string{st.text(t, `select min(doc_id) from doc_instance`), st.text(t, `select max(doc_id) from doc_instance`)} {
		r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		require.Contains(t, r.stdout, "ok       evidence chain")
		r = runBin(t, env, "pipelinectl", "trace", docID)
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stdout, "pack "+packID+" signed")
	}

	// The worker's leader queued the prune at start; it ran with the runtime role's grants.
	waitUntil("the prune job", func() bool {
		return st.count(t, `select count(*) from river_job where kind = 'prune_operational_tables' and state = 'completed'`) > 0
	})
	_, err := st.pool.Exec(t.Context(), `update inbox set received_at = now() - interval '400 days'`)
	require.NoError(t, err)
	r = runBin(t, env, "pipelinectl", "prune")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Zero(t, st.count(t, `select count(*) from inbox`), "old inbox rows pruned as the runtime role")
	for _, args := range [][]string{{"prune", "--last"}, {"jobs", "list"}, {"packs", "stuck"}} {
		r = runBin(t, env, "pipelinectl", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stdout+r.stderr)
	}
	require.Equal(t, 4, st.count(t, `select count(*) from doc_sign_event where event = 'signed'`), "the evidence is all there")
	for name, log := range map[string]*syncBuffer{"worker": worker, "receiver": receiver} {
		require.NotContains(t, log.String(), "permission denied", "%s log", name)
	}

	// The runtime role cannot migrate; the owner can, and grants again.
	r = runBin(t, env, "pipelinectl", "migrate")
	requireOneLineError(t, r, "never as the runtime role")
	ownerCfg := cfg
	ownerCfg.DatabaseURL = testkit.URLAs(t, cfg.DatabaseURL, owner)
	r = runBin(t, testkit.Env(ownerCfg, "DATABASE_PASSWORD_FILE="+ownerFile), "pipelinectl", "migrate")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "schema is current")
	require.Contains(t, r.stdout, "granted "+runtime)
	require.Contains(t, r.stdout, "migrating as "+owner)
	require.False(t, strings.Contains(r.stdout+r.stderr, ownerPW))
}
