package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"trustdocs/migrations"
)

// MigrateResult says what one Migrate call applied; empty slices mean the schema was
// already current.
type MigrateResult struct {
	Applied      []string // our migration files applied by this call
	RiverApplied []int    // River schema versions applied by this call
	Version      int64    // our schema version afterwards

	Roles      *RolesResult // what MigrateWithRoles changed in the roles; nil for Migrate
	MigratedAs string       // the recorded owner the migrations ran as; "" if none is recorded
	Granted    []string     // runtime roles whose grants were converged to RuntimeGrants
	Relations  int          // tables and sequences those grants decided about
}

// Migrate brings the database to the current schema: River's tables through River's own
// migrator, then ours through goose with a Postgres advisory lock, so concurrent runs
// (several replicas starting at once) apply each migration once. Safe to run any time.
// Once roles are set up (MigrateWithRoles), it migrates as the recorded owner and then
// converges the recorded runtime roles' grants (ConvergeRuntimeGrants), so tables that
// new migrations make are granted too.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (MigrateResult, error) {
	return migrate(ctx, pool, nil)
}

// MigrateWithRoles sets up the owner and runtime roles first (see roles.go; pool must
// be an administrator's), then migrates as the owner, records both roles and grants the
// runtime role its privileges.
func MigrateWithRoles(ctx context.Context, pool *pgxpool.Pool, r Roles) (MigrateResult, error) {
	return migrate(ctx, pool, &r)
}

func migrate(ctx context.Context, admin *pgxpool.Pool, roles *Roles) (MigrateResult, error) {
	var res MigrateResult
	if roles != nil {
		rr, err := setupRoles(ctx, admin, *roles)
		if err != nil {
			return res, fmt.Errorf("roles: %w", err)
		}
		res.Roles = &rr
	}
	rec, err := recordedRoles(ctx, admin)
	if err != nil {
		return res, err
	}
	if roles != nil {
		rec.owner = roles.Owner
		if !slices.Contains(rec.runtimes, roles.Runtime) {
			rec.runtimes = append(rec.runtimes, roles.Runtime)
		}
	}
	// What migrations create must belong to the owner, whoever runs them.
	pool, closePool, err := asRole(ctx, admin, rec.owner)
	if err != nil {
		return res, err
	}
	defer closePool()
	res.MigratedAs = rec.owner

	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return res, fmt.Errorf("river migrator: %w", err)
	}
	rr, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("river migrations: %w", err)
	}
	for _, v := range rr.Versions {
		res.RiverApplied = append(res.RiverApplied, v.Version)
	}

	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return res, fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return res, fmt.Errorf("migrations: %w", err)
	}
	applied, err := p.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrations: %w", err)
	}
	for _, a := range applied {
		res.Applied = append(res.Applied, a.Source.Path)
	}
	if res.Version, err = p.GetDBVersion(ctx); err != nil {
		return res, fmt.Errorf("migration version: %w", err)
	}
	if roles != nil {
		if err := recordRoles(ctx, pool, *roles); err != nil {
			return res, err
		}
	}
	if len(rec.runtimes) > 0 {
		if res.Relations, err = ConvergeRuntimeGrants(ctx, pool, rec.runtimes); err != nil {
			return res, err
		}
		res.Granted = rec.runtimes
	}
	return res, nil
}
