package testkit

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// RewriteSignChain rewrites a document's evidence log the way someone holding the
// table's owner rights can: with the table's triggers off (the append-only trigger, if
// the schema has it), it replaces the provider payload of the row at seq and recomputes
// that row's chain hash and every later one, by the same rule PostgreSQL applies on
// insert (store.AppendSignEventTx). The chain then checks out (store.VerifySignChain
// finds no break): only a copy kept out of the database's reach can show the change.
//
// The triggers are turned off with session_replication_role (a superuser's setting,
// as the test's connection is) rather than ALTER TABLE … DISABLE TRIGGER, which an
// owner would use: same effect on this transaction, but no lock on the table, so tests
// sharing a database do not wait on each other. It needs tx to be a transaction (its
// setting ends with it) and returns the rewritten rows' new chain hashes.
func RewriteSignChain(t testing.TB, ctx context.Context, tx pgx.Tx, docID string, seq int, payload string) []string {
	t.Helper()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("rewrite the evidence of %s: %s: %v", docID, sql, err)
		}
	}
	exec(`set local session_replication_role = replica`)
	exec(`update doc_sign_event set provider_payload = $3::jsonb where doc_id = $1 and seq = $2`, docID, seq, payload)
	var prev *string
	if err := tx.QueryRow(ctx, `select chain_hash from doc_sign_event where doc_id = $1 and seq = $2`, docID, seq-1).Scan(&prev); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("rewrite the evidence of %s: %v", docID, err)
	}
	var hashes []string
	for s := seq; ; s++ {
		var h string
		err := tx.QueryRow(ctx, `
			update doc_sign_event set prev_hash = $3,
			  chain_hash = encode(sha256(convert_to(concat_ws('|', coalesce($3::text, ''), sign_event_id, doc_id, actor_role,
			    coalesce(actor_user_id, ''), coalesce(actor_email, ''), event, provider_payload::text), 'UTF8')), 'hex')
			where doc_id = $1 and seq = $2 returning chain_hash`, docID, s, prev).Scan(&h)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			t.Fatalf("rewrite the evidence of %s at seq %d: %v", docID, s, err)
		}
		hashes = append(hashes, h)
		prev = &h
	}
	exec(`set local session_replication_role = origin`)
	if len(hashes) == 0 {
		t.Fatalf("rewrite the evidence of %s: no row at seq %d", docID, seq)
	}
	return hashes
}
