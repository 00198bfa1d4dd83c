package infra

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"trustdocs/config"
)

// OpenPool parses DATABASE_URL and returns a pool. It does not connect: pgxpool dials
// lazily, so a check (PostgresCheck) tells whether the database answers.
func OpenPool(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %s", Reason(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database %s: %s", dbTarget(cfg.DatabaseURL), Reason(err))
	}
	return pool, nil
}
