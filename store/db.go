package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tx and Pool are pgx's types under the data layer's name: the rest of trustdocs
// begins, passes and commits transactions (River's jobs complete inside them) without
// importing pgx, which the linter keeps to store/, infra/, testkit/ and main packages.
type (
	Tx   = pgx.Tx
	Pool = pgxpool.Pool
)

// Querier is what pgxpool.Pool, pgx.Conn and pgx.Tx have in common.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// DB is a pool or a transaction that can begin (nested) transactions: jobs take one,
// so a test can run a job inside its own transaction (a nested Begin is a savepoint)
// and roll everything back.
type DB interface {
	Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

// ErrNotFound means the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// InTx runs fn in a transaction of db and commits it if fn returns nil.
func InTx(ctx context.Context, db DB, fn func(tx Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
