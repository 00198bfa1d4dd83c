package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// BumpTrustVersionTx adds one to the user's trust version and returns it. Call it in the
// transaction that changes anything the trust_cache item shows: the row lock it takes
// (held to commit) is what a cache refresh and a risk recompute synchronize on.
func BumpTrustVersionTx(ctx context.Context, tx pgx.Tx, userID string) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `
		insert into trust_user (user_id, version) values ($1, 1)
		on conflict (user_id) do update set version = trust_user.version + 1, changed_at = now()
		returning version`, userID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("bump trust version of %s: %w", userID, err)
	}
	return v, nil
}

// LockTrustUserTx locks the user's trust row (creating it at version 0) and returns its
// version. Bumps wait for the lock, so what the holder reads cannot be overtaken by a
// change it does not see.
func LockTrustUserTx(ctx context.Context, tx pgx.Tx, userID string) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `
		insert into trust_user (user_id) values ($1)
		on conflict (user_id) do update set user_id = excluded.user_id
		returning version`, userID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("lock trust row of %s: %w", userID, err)
	}
	return v, nil
}

// SetTrustVersionAtLeastTx raises the user's version to at least v (never lowers it) and
// returns it: reconcile uses it when DynamoDB holds a version PostgreSQL never issued.
func SetTrustVersionAtLeastTx(ctx context.Context, tx pgx.Tx, userID string, v int64) (int64, error) {
	var got int64
	err := tx.QueryRow(ctx, `
		insert into trust_user (user_id, version) values ($1, $2)
		on conflict (user_id) do update set version = greatest(trust_user.version, excluded.version), changed_at = now()
		returning version`, userID, v).Scan(&got)
	if err != nil {
		return 0, fmt.Errorf("raise trust version of %s: %w", userID, err)
	}
	return got, nil
}

// TrustUsers returns every user with a trust version, in order: what `cache reconcile
// --all` walks.
func TrustUsers(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.Query(ctx, `select user_id from trust_user order by user_id`)
	if err != nil {
		return nil, fmt.Errorf("trust users: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
