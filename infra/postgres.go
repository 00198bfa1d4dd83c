package infra

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"trustdocs/config"
)

// OpenPool parses DATABASE_URL and returns a pool. It does not connect: pgxpool dials
// lazily, so a check (PostgresCheck) tells whether the database answers.
func OpenPool(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	return OpenPoolSized(ctx, cfg, 0)
}

// OpenPoolSized opens a pool of maxConns connections unless DATABASE_URL sets
// pool_max_conns (0: pgx's default, the larger of 4 and the CPUs). The worker sizes it
// to its River workers: with pgx's default of 4 for 20 workers, jobs queued for a
// connection while the CPU idled (issue 15).
func OpenPoolSized(ctx context.Context, cfg config.Config, maxConns int) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %s", Reason(err))
	}
	if maxConns > 0 && !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
		pc.MaxConns = int32(min(maxConns, 1000))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database %s: %s", dbTarget(cfg.DatabaseURL), Reason(err))
	}
	return pool, nil
}
