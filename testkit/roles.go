package testkit

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"trustdocs/config"
	"trustdocs/store"
)

// DBRoles are the owner and runtime roles of a test's database, set up by
// store.MigrateWithRoles, with a pool logged in as each.
type DBRoles struct {
	Owner, Runtime         string
	OwnerURL, RuntimeURL   string // cfg.DatabaseURL with the role as its user
	OwnerPool, RuntimePool *pgxpool.Pool
	Result                 store.MigrateResult // what MigrateWithRoles did
}

// Roles sets up the database roles on the test's database (made by DB, whose pool is
// admin's) the way `pipelinectl migrate --roles` does, with role names no other test
// uses: roles belong to the whole server, and tests run in parallel (see RoleNames).
func Roles(t testing.TB, cfg config.Config, admin *pgxpool.Pool) *DBRoles {
	t.Helper()
	skipShort(t)
	ctx := context.Background()
	r := &DBRoles{}
	r.Owner, r.Runtime = RoleNames(t, cfg)
	res, err := store.MigrateWithRoles(ctx, admin, store.Roles{Owner: r.Owner, Runtime: r.Runtime})
	if err != nil {
		t.Fatalf("migrate --roles: %v", err)
	}
	r.Result = res
	r.OwnerURL, r.RuntimeURL = URLAs(t, cfg.DatabaseURL, r.Owner), URLAs(t, cfg.DatabaseURL, r.Runtime)
	r.OwnerPool, r.RuntimePool = PoolAt(t, r.OwnerURL), PoolAt(t, r.RuntimeURL)
	return r
}

// RoleNames returns an owner and a runtime role name no other test uses, for the test's
// database (cfg as DB left it), and drops the database and then both roles when the test
// ends (a role that still owns objects or holds privileges in a database cannot be
// dropped): for a test that sets the roles up itself, as `pipelinectl migrate --roles`.
func RoleNames(t testing.TB, cfg config.Config) (owner, runtime string) {
	t.Helper()
	s := Suffix()
	owner, runtime = "td_own_"+s, "td_app_"+s
	t.Cleanup(func() { dropRoles(t, cfg.DatabaseURL, owner, runtime) })
	return owner, runtime
}

// URLAs is databaseURL with user as its user (and no password: the local server
// trusts its loopback logins).
func URLAs(t testing.TB, databaseURL, user string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	u.User = url.User(user)
	return u.String()
}

// PoolAt opens a pool on databaseURL, closed when the test ends.
func PoolAt(t testing.TB, databaseURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), databaseURL)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func dropRoles(t testing.TB, databaseURL string, roles ...string) {
	t.Helper()
	cc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		t.Errorf("DATABASE_URL: %v", err)
		return
	}
	db := cc.ConnConfig.Database
	a := connectAdmin(t, databaseURL)
	defer a.Close(context.Background())
	// The database first (DB's own cleanup then finds it gone): the roles own its objects.
	if _, err := a.Exec(context.Background(), "drop database if exists "+db+" with (force)"); err != nil {
		t.Errorf("drop database %s: %v", db, err)
		return
	}
	for _, r := range roles {
		if _, err := a.Exec(context.Background(), "drop role if exists "+r); err != nil {
			t.Errorf("drop role %s: %v", r, err)
		}
	}
}
