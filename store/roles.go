package store

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Database roles (README "Database roles"). `pipelinectl migrate --roles` sets up two
// login roles: an owner, which owns every object of the schema and is the only role
// that migrates, and a runtime role for the worker and pipelinectl, which may read and
// write the tables as the code in this package does (RuntimeGrants) and nothing else:
// no DDL, no TRUNCATE, no UPDATE or DELETE of doc_sign_event, no access to the tables it
// never uses. The roles are recorded in db_role, and every later migrate applies the
// migrations as the owner and then converges each runtime role's grants on every table
// to RuntimeGrants, so tables made or remade by later migrations are granted exactly
// what the code needs.
//
// The SQL here runs as an administrator or the owner, never as the runtime role: the
// statements the runtime role runs are those of the other files, and a test
// (TestRuntimeGrantsAreWhatStoreUses) keeps RuntimeGrants equal to what they use.

// Table privileges the runtime role can be granted.
const (
	PrivSelect = "select"
	PrivInsert = "insert"
	PrivUpdate = "update"
	PrivDelete = "delete"
)

// TableGrant is what the runtime role may do with one relation of the schema, and why.
// No privileges means no access at all.
type TableGrant struct {
	Table      string
	Privileges []string
	Why        string
}

// RuntimeGrants lists every table of the schema with the runtime role's privileges on
// it: our tables as this package's statements use them (SELECT ... FOR UPDATE needs
// UPDATE), River's as River's client uses them. A table missing from the list stops
// migrate from granting anything (ConvergeRuntimeGrants): each new table is a decision.
var RuntimeGrants = []TableGrant{
	{"booking_leg", []string{PrivSelect, PrivInsert, PrivUpdate}, "legs.go, packs.go: upserted by checkouts and cancellations"},
	{"doc_clause", []string{PrivSelect, PrivInsert}, "content.go: new versions appended by content publish"},
	{"doc_template", []string{PrivSelect, PrivInsert, PrivUpdate}, "content.go: new versions; is_active set by content publish"},
	{"doc_pack", []string{PrivSelect, PrivInsert, PrivUpdate}, "packs.go: status moves, locked FOR UPDATE"},
	{"doc_instance", []string{PrivSelect, PrivInsert, PrivUpdate}, "docs.go: render, envelope and executed-copy columns; locked FOR UPDATE before evidence is appended"},
	{"doc_sign_event", []string{PrivSelect, PrivInsert}, "sign_events.go: evidence is appended and read, never updated or deleted"},
	{"webhook_event", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "webhooks.go; prune.go deletes old rows and locks them FOR UPDATE SKIP LOCKED first"},
	{"inbox", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "inbox.go; prune.go deletes old rows and locks them FOR UPDATE SKIP LOCKED first"},
	{"message_failure", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "inbox.go upserts the last failure; prune.go deletes old rows"},
	{"ops_action", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "ops.go: started and finished; prune.go deletes old actions"},
	{"ops_action_item", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "ops.go; prune.go deletes old items and locks them FOR UPDATE SKIP LOCKED first"},
	{"risk_event", []string{PrivSelect, PrivInsert}, "risk.go: the ledger is appended and counted"},
	{"trust_risk_signal", []string{PrivSelect, PrivInsert, PrivUpdate}, "risk.go: one upserted snapshot per user and window"},
	{"trust_user", []string{PrivSelect, PrivInsert, PrivUpdate}, "trust.go: the upserted trust version"},
	{"idv_status", []string{PrivSelect, PrivInsert, PrivUpdate}, "identity.go: upserted sessions"},
	{"bg_candidate", []string{PrivSelect, PrivInsert}, "background.go: candidate mapping, inserted once"},
	{"bg_status", []string{PrivSelect, PrivInsert, PrivUpdate}, "background.go: upserted checks"},
	{"social_verification", []string{PrivSelect, PrivInsert, PrivUpdate}, "social.go: upserted checks"},
	{"trust_badge", []string{PrivSelect, PrivInsert, PrivUpdate}, "badges.go: issued, extended, revoked (never deleted)"},
	{"river_job", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "River: jobs inserted (COPY too), fetched, completed, retried, and cleaned after their retention"},
	{"river_leader", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "River: leader election"},
	{"river_queue", []string{PrivSelect, PrivInsert, PrivUpdate, PrivDelete}, "River: queue records, upserted and expired"},
	{"river_migration", nil, "River's schema version: only migrate reads or writes it"},
	{"river_notification", nil, "River uses it only on SQLite"},
	{"goose_db_version", nil, "our schema version: only migrate reads or writes it"},
	{"db_role", nil, "the recorded roles: only migrate reads or writes it"},
}

// SequenceGrant is the runtime role's privilege on a sequence, and why; "" is none.
type SequenceGrant struct {
	Sequence, Privilege, Why string
}

// RuntimeSequences lists every sequence of the schema (our tables have none).
var RuntimeSequences = []SequenceGrant{
	{"river_job_id_seq", "usage", "River's job ids: nextval as jobs are inserted"},
	{"river_notification_id_seq", "", "River uses river_notification only on SQLite"},
	{"goose_db_version_id_seq", "", "our schema version: only migrate writes it"},
}

// Roles is what `pipelinectl migrate --roles` sets up. An empty password leaves the
// role's password as it is (none for a new role: for a cluster whose logins
// authenticate otherwise, by certificate or IAM).
type Roles struct {
	Owner, Runtime                 string
	OwnerPassword, RuntimePassword string
}

// RolesResult says what setting up the roles changed. It never holds a password.
type RolesResult struct {
	Created      []string // roles created by this run
	PasswordsSet []string // roles whose password this run set
	Reowned      int      // objects of the schema given to the owner by this run
}

// roleName is what we accept as a role name: a plain lowercase identifier, so the name
// in a connection string, a log line and the catalog is the same. pg_ is PostgreSQL's.
var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func checkRoleName(flag, name string) error {
	if !roleName.MatchString(name) || strings.HasPrefix(name, "pg_") {
		return fmt.Errorf("%s %q: want a lowercase identifier (letters, digits, _; not pg_...), at most 63 characters", flag, name)
	}
	return nil
}

// ident quotes a name for a statement that takes no parameters (CREATE ROLE, GRANT).
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// setupRoles creates or corrects the owner and runtime roles, sets their passwords,
// gives the owner the schema and everything in it, and lets the runtime role connect
// and use the schema but create nothing. It runs as the login of DATABASE_URL, which
// must be a superuser or have CREATEROLE (and own the database for its grants), in one
// transaction: a failure changes nothing. Table privileges come after the migrations
// (convergeRuntimeGrants).
func setupRoles(ctx context.Context, pool *pgxpool.Pool, r Roles) (RolesResult, error) {
	var res RolesResult
	if err := checkRoleName("--owner", r.Owner); err != nil {
		return res, err
	}
	if err := checkRoleName("--runtime", r.Runtime); err != nil {
		return res, err
	}
	if r.Owner == r.Runtime {
		return res, fmt.Errorf("--owner and --runtime are both %q: the runtime role must not own the schema", r.Owner)
	}
	err := InTx(ctx, pool, func(tx Tx) error {
		var me, db string
		var super, createRole bool
		if err := tx.QueryRow(ctx, `select current_user::text, current_database()::text, rolsuper, rolcreaterole
			from pg_roles where rolname = current_user`).Scan(&me, &db, &super, &createRole); err != nil {
			return fmt.Errorf("who am I: %w", err)
		}
		if !super && !createRole {
			return fmt.Errorf("%s may not create roles: run migrate --roles as a superuser or a role with CREATEROLE", me)
		}
		if me == r.Owner || me == r.Runtime {
			return fmt.Errorf("connected as %s: run migrate --roles as an administrator, not as a role it sets up", me)
		}
		for _, role := range []struct {
			name, password string
		}{{r.Owner, r.OwnerPassword}, {r.Runtime, r.RuntimePassword}} {
			created, err := ensureLoginRole(ctx, tx, role.name)
			if err != nil {
				return err
			}
			if created {
				res.Created = append(res.Created, role.name)
			}
			if role.password == "" {
				continue
			}
			verifier, err := scramVerifier(role.password)
			if err != nil {
				return fmt.Errorf("password of %s: %w", role.name, err)
			}
			// The verifier, never the password, goes to the server (as psql's \password
			// does), so a statement log holds nothing to log in with.
			if _, err := tx.Exec(ctx, `alter role `+ident(role.name)+` password '`+verifier+`'`); err != nil {
				return fmt.Errorf("password of %s: %w", role.name, err)
			}
			res.PasswordsSet = append(res.PasswordsSet, role.name)
		}

		// The runtime role must not get the owner's rights, or every table's, through a
		// membership.
		var inherits []string
		if err := tx.QueryRow(ctx, `select coalesce(array_agg(rolname::text order by rolname), '{}') from pg_roles
			where rolname in ($2, 'pg_write_all_data', 'pg_read_all_data') and pg_has_role($1, oid, 'member')`,
			r.Runtime, r.Owner).Scan(&inherits); err != nil {
			return fmt.Errorf("memberships of %s: %w", r.Runtime, err)
		}
		if len(inherits) > 0 {
			return fmt.Errorf("%s is a member of %s: revoke that membership, the runtime role must have only its own grants",
				r.Runtime, strings.Join(inherits, ", "))
		}
		var ownsDB bool
		if err := tx.QueryRow(ctx, `select datdba = $1::regrole from pg_database where datname = current_database()`, r.Runtime).Scan(&ownsDB); err != nil {
			return fmt.Errorf("owner of database %s: %w", db, err)
		}
		if ownsDB {
			return fmt.Errorf("%s owns database %s: make another role its owner, the runtime role must not own anything", r.Runtime, db)
		}
		// An administrator that is not a superuser migrates as the owner through SET ROLE,
		// and gives the owner objects it owns itself, so it must be a member.
		if !super {
			if _, err := tx.Exec(ctx, `grant `+ident(r.Owner)+` to current_user`); err != nil {
				return fmt.Errorf("grant %s to %s (to migrate as it): %w", r.Owner, me, err)
			}
		}

		stmts := []string{
			`grant connect on database ` + ident(db) + ` to ` + ident(r.Owner) + `, ` + ident(r.Runtime),
			// Temporary tables are DDL too, and nothing of ours or River's makes them.
			`revoke temporary on database ` + ident(db) + ` from public`,
			// PostgreSQL before 15 lets every role create in public; 15 no longer does.
			`revoke create on schema public from public`,
			`grant usage, create on schema public to ` + ident(r.Owner),
			`grant usage on schema public to ` + ident(r.Runtime),
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		n, err := reown(ctx, tx, r.Owner)
		res.Reowned = n
		return err
	})
	return res, err
}

// ensureLoginRole creates a login role with no special attributes, or takes away from
// an existing one any attribute beyond login (a superuser ignores every grant, the
// others create roles or databases or bypass row security). It reports whether the
// role was created.
func ensureLoginRole(ctx context.Context, tx Tx, name string) (bool, error) {
	var super, createDB, createRole, replication, bypassRLS, login bool
	err := tx.QueryRow(ctx, `select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin
		from pg_roles where rolname = $1`, name).Scan(&super, &createDB, &createRole, &replication, &bypassRLS, &login)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := tx.Exec(ctx, `create role `+ident(name)+` login`); err != nil {
			return false, fmt.Errorf("create role %s: %w", name, err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("role %s: %w", name, err)
	}
	// Only what is wrong is named: a CREATEROLE administrator may not even restate
	// NOSUPERUSER or NOBYPASSRLS.
	var fix []string
	for _, a := range []struct {
		wrong bool
		opt   string
	}{{super, "nosuperuser"}, {createDB, "nocreatedb"}, {createRole, "nocreaterole"}, {replication, "noreplication"},
		{bypassRLS, "nobypassrls"}, {!login, "login"}} {
		if a.wrong {
			fix = append(fix, a.opt)
		}
	}
	if len(fix) > 0 {
		if _, err := tx.Exec(ctx, `alter role `+ident(name)+` `+strings.Join(fix, " ")); err != nil {
			return false, fmt.Errorf("alter role %s %s: %w", name, strings.Join(fix, " "), err)
		}
	}
	return false, nil
}

// reown gives the owner every object of schema public another role owns (a database
// migrated before the roles existed), except an extension's. A table takes its indexes
// and owned sequences with it.
func reown(ctx context.Context, tx Tx, owner string) (int, error) {
	rows, err := tx.Query(ctx, `
		with objs as (
		  select 'pg_class'::regclass as cat, c.oid,
		         case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
		                        when 'f' then 'foreign table' else 'table' end || ' ' || c.oid::regclass::text as what
		  from pg_class c
		  where c.relnamespace = 'public'::regnamespace and c.relowner <> $1::regrole
		    and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
		    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
		                    and d.deptype in ('a', 'i') and d.refclassid = 'pg_class'::regclass) -- a serial's sequence goes with its table
		  union all
		  select 'pg_type'::regclass, t.oid, case t.typtype when 'd' then 'domain ' else 'type ' end || t.oid::regtype::text
		  from pg_type t
		  where t.typnamespace = 'public'::regnamespace and t.typowner <> $1::regrole and t.typtype in ('e', 'd', 'r')
		  union all
		  select 'pg_type'::regclass, t.oid, 'type ' || t.oid::regtype::text
		  from pg_type t join pg_class c on c.oid = t.typrelid
		  where t.typnamespace = 'public'::regnamespace and t.typowner <> $1::regrole and t.typtype = 'c' and c.relkind = 'c'
		  union all
		  select 'pg_proc'::regclass, p.oid, case p.prokind when 'p' then 'procedure ' else 'function ' end || p.oid::regprocedure::text
		  from pg_proc p
		  where p.pronamespace = 'public'::regnamespace and p.proowner <> $1::regrole and p.prokind in ('f', 'p', 'w')
		)
		select what from objs o
		where not exists (select 1 from pg_depend d where d.classid = o.cat and d.objid = o.oid and d.deptype = 'e')
		order by what`, owner)
	if err != nil {
		return 0, fmt.Errorf("objects to give to %s: %w", owner, err)
	}
	objs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("objects to give to %s: %w", owner, err)
	}
	for _, o := range objs {
		if _, err := tx.Exec(ctx, `alter `+o+` owner to `+ident(owner)); err != nil {
			return 0, fmt.Errorf("give %s to %s: %w", o, owner, err)
		}
	}
	return len(objs), nil
}

// recorded are the roles db_role holds: no owner and no runtime roles when the roles
// were never set up (or the table does not exist yet).
type recorded struct {
	owner    string
	runtimes []string
}

func recordedRoles(ctx context.Context, q Querier) (recorded, error) {
	var rec recorded
	var exists bool
	if err := q.QueryRow(ctx, `select to_regclass('public.db_role') is not null`).Scan(&exists); err != nil {
		return rec, fmt.Errorf("recorded roles: %w", err)
	}
	if !exists {
		return rec, nil
	}
	rows, err := q.Query(ctx, `select role_name, kind from db_role order by role_name`)
	if err == nil {
		var all [][2]string
		all, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
			var v [2]string
			return v, r.Scan(&v[0], &v[1])
		})
		for _, v := range all {
			if v[1] == "owner" {
				rec.owner = v[0]
			} else {
				rec.runtimes = append(rec.runtimes, v[0])
			}
		}
	}
	if err != nil {
		return rec, fmt.Errorf("recorded roles: %w (migrate connects as the schema's owner or an administrator, never as the runtime role)", err)
	}
	return rec, nil
}

// recordRoles writes the roles set up into db_role, replacing a previous owner.
func recordRoles(ctx context.Context, db DB, r Roles) error {
	return InTx(ctx, db, func(tx Tx) error {
		if _, err := tx.Exec(ctx, `delete from db_role where role_name in ($1, $2) or kind = 'owner'`, r.Owner, r.Runtime); err != nil {
			return fmt.Errorf("record roles: %w", err)
		}
		if _, err := tx.Exec(ctx, `insert into db_role (role_name, kind) values ($1, 'owner'), ($2, 'runtime')`, r.Owner, r.Runtime); err != nil {
			return fmt.Errorf("record roles: %w", err)
		}
		return nil
	})
}

// asRole returns a pool on the same database whose sessions act as role (SET ROLE), so
// that what migrations create belongs to it; pool itself if it logs in as role already.
// close releases what it opened.
func asRole(ctx context.Context, pool *pgxpool.Pool, role string) (p *pgxpool.Pool, closeFn func(), err error) {
	var me string
	if err := pool.QueryRow(ctx, `select current_user::text`).Scan(&me); err != nil {
		return nil, nil, fmt.Errorf("who am I: %w", err)
	}
	if role == "" || role == me {
		return pool, func() {}, nil
	}
	cfg := pool.Config()
	prev := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if prev != nil {
			if err := prev(ctx, c); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, `set role `+ident(role))
		return err
	}
	if p, err = pgxpool.NewWithConfig(ctx, cfg); err == nil {
		err = p.Ping(ctx)
		if err != nil {
			p.Close()
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("migrations run as the schema's owner %s, and %s cannot act as it (%w): connect as %s or as an administrator", role, me, err, role)
	}
	return p, p.Close, nil
}

// ConvergeRuntimeGrants makes each runtime role's privileges on the schema's tables and
// sequences exactly RuntimeGrants and RuntimeSequences, and takes any privilege on them
// away from PUBLIC. It refuses, changing nothing, if the schema has a table or sequence
// the lists do not decide about (a new migration's, until its line is added) or lacks
// one they name. One transaction: a running worker sees the old grants or the new, never
// none. Run as the owner; migrate runs it at its end.
func ConvergeRuntimeGrants(ctx context.Context, db DB, runtimes []string) (int, error) {
	granted := 0
	err := InTx(ctx, db, func(tx Tx) error {
		// Two migrate runs at once would otherwise race on the same catalog rows.
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext('trustdocs.runtime_grants'))`); err != nil {
			return fmt.Errorf("grants lock: %w", err)
		}
		rows, err := tx.Query(ctx, `select relname::text, relkind = 'S' from pg_class
			where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v', 'm', 'f', 'S') order by 1`)
		if err != nil {
			return fmt.Errorf("tables of the schema: %w", err)
		}
		inSchema := map[string]bool{} // name -> is a sequence
		for rows.Next() {
			var name string
			var seq bool
			if err := rows.Scan(&name, &seq); err != nil {
				return fmt.Errorf("tables of the schema: %w", err)
			}
			inSchema[name] = seq
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("tables of the schema: %w", err)
		}
		if err := grantsCoverSchema(inSchema); err != nil {
			return err
		}
		for _, rt := range runtimes {
			var exists bool
			if err := tx.QueryRow(ctx, `select exists (select 1 from pg_roles where rolname = $1)`, rt).Scan(&exists); err != nil {
				return fmt.Errorf("role %s: %w", rt, err)
			}
			if !exists {
				return fmt.Errorf("runtime role %s is recorded in db_role but does not exist: run migrate --roles, or delete its db_role row", rt)
			}
		}
		stmts := []string{
			`revoke all on all tables in schema public from public`,
			`revoke all on all sequences in schema public from public`,
		}
		for _, rt := range runtimes {
			stmts = append(stmts,
				`revoke all on all tables in schema public from `+ident(rt),
				`revoke all on all sequences in schema public from `+ident(rt))
			for _, g := range RuntimeGrants {
				if len(g.Privileges) > 0 {
					stmts = append(stmts, `grant `+strings.Join(g.Privileges, ", ")+` on table `+ident(g.Table)+` to `+ident(rt))
				}
			}
			for _, s := range RuntimeSequences {
				if s.Privilege != "" {
					stmts = append(stmts, `grant `+s.Privilege+` on sequence `+ident(s.Sequence)+` to `+ident(rt))
				}
			}
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		granted = len(inSchema)
		return nil
	})
	return granted, err
}

// grantsCoverSchema checks that RuntimeGrants and RuntimeSequences decide about exactly
// the relations of the schema.
func grantsCoverSchema(inSchema map[string]bool) error {
	listed := map[string]bool{}
	for _, g := range RuntimeGrants {
		listed[g.Table] = false
	}
	for _, s := range RuntimeSequences {
		listed[s.Sequence] = true
	}
	var unlisted, missing []string
	for name := range inSchema {
		if _, ok := listed[name]; !ok {
			unlisted = append(unlisted, name)
		}
	}
	for name := range listed {
		if _, ok := inSchema[name]; !ok {
			missing = append(missing, name)
		}
	}
	slices.Sort(unlisted)
	slices.Sort(missing)
	switch {
	case len(unlisted) > 0:
		return fmt.Errorf("runtime grants: %s not in store.RuntimeGrants or store.RuntimeSequences: "+
			"add each with what the runtime role may do with it (nothing is a decision too); no grant was changed", strings.Join(unlisted, ", "))
	case len(missing) > 0:
		return fmt.Errorf("runtime grants: %s listed in store.RuntimeGrants or store.RuntimeSequences but not in the schema; no grant was changed",
			strings.Join(missing, ", "))
	}
	return nil
}

// scramIterations is PostgreSQL's default (scram_iterations).
const scramIterations = 4096

// scramVerifier is the SCRAM-SHA-256 verifier PostgreSQL stores for password, with a
// fresh salt. PostgreSQL normalizes non-ASCII passwords (SASLprep) before hashing;
// this refuses them rather than guess the same normalization.
func scramVerifier(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return scramVerifierWith(password, salt, scramIterations)
}

func scramVerifierWith(password string, salt []byte, iterations int) (string, error) {
	for _, r := range password {
		if r < 0x20 || r > 0x7e {
			return "", errors.New("use printable ASCII characters only")
		}
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(serverKey)), nil
}

// OwnsRiverJobs reports whether the connected role owns River's job table: only then
// may it reindex its indexes (River's leader does nightly). The runtime role does not.
func OwnsRiverJobs(ctx context.Context, q Querier) (bool, error) {
	var owns bool
	err := q.QueryRow(ctx, `select coalesce((select pg_get_userbyid(relowner) = current_user from pg_class
		where oid = to_regclass('river_job')), false)`).Scan(&owns)
	if err != nil {
		return false, fmt.Errorf("owner of river_job: %w", err)
	}
	return owns, nil
}
