package store_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/content"
	"trustdocs/store"
	"trustdocs/testkit"
)

// requireSQLState fails unless err is a PostgreSQL error with the code (42501: not
// permitted; 23001: refused by the append-only trigger), and returns its message.
func requireSQLState(t *testing.T, err error, code, what string) string {
	t.Helper()
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "%s: want SQLSTATE %s, got %v", what, code, err)
	require.Equal(t, code, pe.Code, "%s: %s", what, pe.Message)
	return pe.Message
}

// evidenceDoc creates, through store's functions on db, a published content library, a
// pack with one document and two chained evidence rows, and returns the document's id.
// newDBWithRoles is a fresh migrated database, its superuser pool, and the owner and
// runtime roles set up on it (pipelinectl migrate --roles).
func newDBWithRoles(t *testing.T) (*pgxpool.Pool, *testkit.DBRoles) {
	t.Helper()
	cfg := testkit.Config(t)
	admin := testkit.DB(t, &cfg) // migrated by the administrator: its objects are given to the owner
	return admin, testkit.Roles(t, cfg, admin)
}

func evidenceDoc(t *testing.T, db store.DB) string {
	t.Helper()
	ctx := context.Background()
	lib, err := content.Load(content.FS)
	require.NoError(t, err)
	docID := "doc_roles_" + testkit.Suffix()
	require.NoError(t, store.InTx(ctx, db, func(tx store.Tx) error {
		if _, err := store.PublishContentTx(ctx, tx, lib, "test"); err != nil {
			return err
		}
		tpls, err := store.LiveTemplates(ctx, tx)
		if err != nil {
			return err
		}
		require.NotEmpty(t, tpls)
		_, err = store.CreatePackTx(ctx, tx, store.NewPack{PackID: "dpk_" + docID, LegID: "leg_" + docID, BookingID: "bkg_1", City: "NYC",
			GeneratorVer: "test", SourceEventID: "evt_" + docID,
			Docs: []store.NewDoc{{DocID: docID, TemplateID: tpls[0].TemplateID, TemplateVersion: tpls[0].Version, Variables: map[string]string{}}}})
		if err != nil {
			return err
		}
		for _, ev := range []string{"envelope_sent", "signed"} {
			if _, err := store.AppendSignEventTx(ctx, tx, store.SignEvent{SignEventID: "se_" + ev + "_" + docID, DocID: docID,
				ActorRole: "talent", ActorEmail: "t@example.com", Event: ev, ProviderPayload: []byte(`{"n":1}`)}); err != nil {
				return err
			}
		}
		return nil
	}))
	breaks, n, err := store.VerifySignChain(ctx, db, docID)
	require.NoError(t, err)
	require.Empty(t, breaks)
	require.Equal(t, 2, n)
	return docID
}

// TestRuntimeRoleCannotRewriteEvidenceNorChangeTheSchema: logged in as the runtime
// role, the pipeline appends evidence, but every way of changing or removing it, every
// DDL statement and every read of a table the role never uses is refused by PostgreSQL's
// privileges.
func TestRuntimeRoleCannotRewriteEvidenceNorChangeTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, roles := newDBWithRoles(t)
	rt := roles.RuntimePool
	docID := evidenceDoc(t, rt) // appended as the runtime role

	var super, createRole, createDB, bypass bool
	require.NoError(t, admin.QueryRow(ctx, `select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = $1`,
		roles.Runtime).Scan(&super, &createRole, &createDB, &bypass))
	require.False(t, super || createRole || createDB || bypass, "no special attribute")

	refused := map[string]string{
		"update evidence":   `update doc_sign_event set actor_email = 'x@example.com' where doc_id = '` + docID + `'`,
		"delete evidence":   `delete from doc_sign_event where doc_id = '` + docID + `'`,
		"truncate evidence": `truncate doc_sign_event`,
		"disable trigger":   `alter table doc_sign_event disable trigger doc_sign_event_append_only`,
		"drop table":        `drop table doc_sign_event`,
		"alter table":       `alter table inbox add column x int`,
		"create table":      `create table scratch (x int)`,
		"create temp table": `create temp table scratch (x int)`,
		"create index":      `create index scratch_idx on inbox (queue)`,
		"create function":   `create function scratch() returns int language sql as 'select 1'`,
		"truncate ops":      `truncate inbox`,
		"read goose":        `select count(*) from goose_db_version`,
		"write goose":       `insert into goose_db_version (version_id, is_applied) values (99999, true)`,
		"read river's":      `select count(*) from river_migration`,
		"read notification": `select count(*) from river_notification`,
		"read db_role":      `select count(*) from db_role`,
		"become the owner":  `set role ` + roles.Owner,
	}
	for what, sql := range refused {
		_, err := rt.Exec(ctx, sql)
		t.Logf("%s: %s", what, requireSQLState(t, err, "42501", what))
	}
	// A GRANT by a role without grant options is only a warning: check it changed nothing.
	_, _ = rt.Exec(ctx, `grant update, delete, truncate on doc_sign_event to `+roles.Runtime)
	var canUpdate bool
	require.NoError(t, admin.QueryRow(ctx, `select has_table_privilege($1, 'doc_sign_event', 'update, delete, truncate')`, roles.Runtime).Scan(&canUpdate))
	require.False(t, canUpdate)

	breaks, n, err := store.VerifySignChain(ctx, rt, docID)
	require.NoError(t, err)
	require.Empty(t, breaks, "the evidence is as written")
	require.Equal(t, 2, n)

	// The runtime role cannot migrate either: migrate says who should.
	_, err = store.Migrate(ctx, rt)
	require.ErrorContains(t, err, "never as the runtime role")
}

// TestRuntimeRoleHasExactlyRuntimeGrants reads the privileges back from PostgreSQL: the
// runtime role holds exactly store.RuntimeGrants on tables and store.RuntimeSequences on
// sequences, PUBLIC holds none, and the owner owns every object of the schema (those
// created before the roles existed included).
func TestRuntimeRoleHasExactlyRuntimeGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, roles := newDBWithRoles(t)
	require.Positive(t, roles.Result.Roles.Reowned)
	require.ElementsMatch(t, []string{roles.Owner, roles.Runtime}, roles.Result.Roles.Created)
	require.Equal(t, roles.Owner, roles.Result.MigratedAs)
	require.Equal(t, []string{roles.Runtime}, roles.Result.Granted)

	require.Equal(t, wantGrants(), grantsOf(t, admin, roles.Runtime))
	require.Empty(t, grantsOf(t, admin, "PUBLIC"))

	var notOwned []string
	rows, err := admin.Query(ctx, `
		select relname::text from pg_class where relnamespace = 'public'::regnamespace and relowner <> $1::regrole
		union all select typname::text from pg_type where typnamespace = 'public'::regnamespace and typowner <> $1::regrole
		union all select proname::text from pg_proc where pronamespace = 'public'::regnamespace and proowner <> $1::regrole`, roles.Owner)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		notOwned = append(notOwned, n)
	}
	require.NoError(t, rows.Err())
	require.Empty(t, notOwned, "every object of the schema belongs to the owner")

	// Again: nothing to create or give, the same grants.
	again, err := store.MigrateWithRoles(ctx, admin, store.Roles{Owner: roles.Owner, Runtime: roles.Runtime})
	require.NoError(t, err)
	require.Empty(t, again.Roles.Created)
	require.Zero(t, again.Roles.Reowned)
	require.Empty(t, again.Applied)
	require.Equal(t, wantGrants(), grantsOf(t, admin, roles.Runtime))

	// A bad set-up is refused before anything changes.
	for _, r := range []store.Roles{
		{Owner: roles.Owner, Runtime: roles.Owner},
		{Owner: "Owner", Runtime: roles.Runtime},
		{Owner: roles.Owner, Runtime: "pg_app"},
		{Owner: roles.Owner, Runtime: "postgres"}, // the administrator itself
	} {
		_, err := store.MigrateWithRoles(ctx, admin, r)
		require.Error(t, err, "%+v", r)
	}
	// A runtime role that inherits the owner's rights is refused.
	_, err = admin.Exec(ctx, `grant `+roles.Owner+` to `+roles.Runtime)
	require.NoError(t, err)
	_, err = store.MigrateWithRoles(ctx, admin, store.Roles{Owner: roles.Owner, Runtime: roles.Runtime})
	require.ErrorContains(t, err, "is a member of "+roles.Owner)
	_, err = admin.Exec(ctx, `revoke `+roles.Owner+` from `+roles.Runtime)
	require.NoError(t, err)
}

// wantGrants is RuntimeGrants and RuntimeSequences as "relation:PRIVILEGE" lines.
func wantGrants() []string {
	var want []string
	for _, g := range store.RuntimeGrants {
		for _, p := range g.Privileges {
			want = append(want, g.Table+":"+strings.ToUpper(p))
		}
	}
	for _, s := range store.RuntimeSequences {
		if s.Privilege != "" {
			want = append(want, s.Sequence+":"+strings.ToUpper(s.Privilege))
		}
	}
	sort.Strings(want)
	return want
}

// grantsOf reads a role's privileges on the schema's relations from their ACLs.
func grantsOf(t *testing.T, pool *pgxpool.Pool, grantee string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		select c.relname || ':' || a.privilege_type
		from pg_class c cross join lateral aclexplode(c.relacl) a
		where c.relnamespace = 'public'::regnamespace
		  and a.grantee = case when $1 = 'PUBLIC' then 0 else $1::regrole::oid end
		order by 1`, grantee)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var g string
		require.NoError(t, rows.Scan(&g))
		got = append(got, g)
	}
	require.NoError(t, rows.Err())
	return got
}

// TestEvidenceTriggerBindsTheOwnerUntilDisabled: the owner may do anything to the table
// by its privileges, and still cannot change or remove evidence while the trigger is
// on, nor can a superuser or a cascade from the document. Only disabling the trigger,
// which only the owner (or a superuser) can, lets a row be rewritten, and the chain
// then shows it: that gap is what the S3 anchor closes.
func TestEvidenceTriggerBindsTheOwnerUntilDisabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, roles := newDBWithRoles(t)
	owner := roles.OwnerPool
	docID := evidenceDoc(t, roles.RuntimePool)

	for name, pool := range map[string]*pgxpool.Pool{"owner": owner, "superuser": admin} {
		for what, sql := range map[string]string{
			"update":   `update doc_sign_event set actor_email = 'forged@example.com' where doc_id = '` + docID + `' and event = 'signed'`,
			"delete":   `delete from doc_sign_event where doc_id = '` + docID + `'`,
			"truncate": `truncate doc_sign_event`,
			"cascade":  `delete from doc_instance where doc_id = '` + docID + `'`,
		} {
			_, err := pool.Exec(ctx, sql)
			msg := requireSQLState(t, err, "23001", name+" "+what)
			require.Contains(t, msg, "doc_sign_event is append-only", "%s %s", name, what)
		}
	}

	// A rewrite needs the trigger off, in the owner's own transaction.
	tx, err := owner.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `alter table doc_sign_event disable trigger doc_sign_event_append_only`)
	require.NoError(t, err)
	tag, err := tx.Exec(ctx, `update doc_sign_event set actor_email = 'forged@example.com' where doc_id = $1 and event = 'signed'`, docID)
	require.NoError(t, err)
	require.Equal(t, int64(1), tag.RowsAffected())
	_, err = tx.Exec(ctx, `alter table doc_sign_event enable trigger doc_sign_event_append_only`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	breaks, _, err := store.VerifySignChain(ctx, owner, docID)
	require.NoError(t, err)
	require.Len(t, breaks, 1, "the rewritten row breaks the chain")

	_, err = owner.Exec(ctx, `update doc_sign_event set actor_email = null where doc_id = $1`, docID)
	requireSQLState(t, err, "23001", "update once the trigger is back")
	_, err = roles.RuntimePool.Exec(ctx, `alter table doc_sign_event disable trigger user`)
	requireSQLState(t, err, "42501", "the runtime role disabling triggers")
}

// TestMigrateKeepsRuntimeGrantsRight: later migrations change tables, and every migrate
// converges the grants again: a table a migration remade gets its grants back, a
// privilege granted or revoked by hand is put right, and a new table nobody decided
// about stops migrate with its name before any grant changes. A plain migrate by the
// administrator still creates as the owner.
func TestMigrateKeepsRuntimeGrantsRight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, roles := newDBWithRoles(t)
	owner, rt := roles.OwnerPool, roles.RuntimePool
	exec := func(pool *pgxpool.Pool, sql string) {
		t.Helper()
		_, err := pool.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}

	// A migration remakes webhook_event (as a later one might), someone grants UPDATE on
	// evidence by hand and revokes a privilege the pipeline needs.
	exec(owner, `create table webhook_event_new (like webhook_event including all)`)
	exec(owner, `drop table webhook_event`)
	exec(owner, `alter table webhook_event_new rename to webhook_event`)
	exec(owner, `grant update on doc_sign_event to `+roles.Runtime)
	exec(owner, `revoke insert on risk_event from `+roles.Runtime)
	requireSQLState(t, recordWebhook(ctx, rt), "42501", "remade table before migrate")

	// A new table nobody listed: migrate refuses to converge, naming it.
	exec(owner, `create table later_table (x int)`)
	_, err := store.Migrate(ctx, admin)
	require.ErrorContains(t, err, "later_table not in store.RuntimeGrants")
	require.NotEqual(t, wantGrants(), grantsOf(t, admin, roles.Runtime), "no grant changed")

	exec(owner, `drop table later_table`)
	res, err := store.Migrate(ctx, admin) // the administrator, as a deploy would
	require.NoError(t, err)
	require.Equal(t, roles.Owner, res.MigratedAs)
	require.Equal(t, []string{roles.Runtime}, res.Granted)
	require.Equal(t, wantGrants(), grantsOf(t, admin, roles.Runtime))
	require.NoError(t, recordWebhook(ctx, rt), "the remade table is granted again")

	// Migrating as the owner itself works the same.
	res, err = store.Migrate(ctx, owner)
	require.NoError(t, err)
	require.Equal(t, roles.Owner, res.MigratedAs)
	require.Equal(t, wantGrants(), grantsOf(t, admin, roles.Runtime))

	// Objects a migration creates while the administrator runs migrate are the owner's:
	// the migrations run through SET ROLE.
	var who string
	require.NoError(t, admin.QueryRow(ctx, `select pg_get_userbyid(relowner)::text from pg_class where relname = 'goose_db_version'`).Scan(&who))
	require.Equal(t, roles.Owner, who)
}

// recordWebhook records a provider event of its own through store.
func recordWebhook(ctx context.Context, db store.DB) error {
	return store.InTx(ctx, db, func(tx store.Tx) error {
		return store.RecordWebhookTx(ctx, tx, "dk_"+testkit.Suffix(), "checkr", "report.completed", "rcp_1", "applied", "", time.Now())
	})
}

// TestStoreWorksAsTheRuntimeRole runs store's writes of each table family as the runtime
// role: the inbox and failures, the operators' audit, webhooks, evidence, packs and
// documents, trust state and the ledger, and every prune batch (which locks rows FOR
// UPDATE before deleting them).
func TestStoreWorksAsTheRuntimeRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, roles := newDBWithRoles(t)
	rt := roles.RuntimePool
	docID := evidenceDoc(t, rt)
	now := time.Now().UTC()

	require.NoError(t, store.InTx(ctx, rt, func(tx store.Tx) error {
		fresh, err := store.InsertInboxTx(ctx, tx, []store.InboxEntry{{EventID: "evt_rt_1", Type: "risk.dispute.opened", Source: "test",
			Queue: "risk", MessageID: "msg_rt_1", OccurredAt: now}})
		require.Equal(t, map[string]bool{"evt_rt_1": true}, fresh)
		return err
	}))
	_, err := store.RecordFailure(ctx, rt, store.MessageFailure{MessageID: "msg_rt_2", Queue: "risk", ErrorClass: "transient",
		ErrorText: "boom", ReceiveCount: 1, FirstFailedAt: now, LastFailedAt: now})
	require.NoError(t, err)
	_, err = store.RecordFailure(ctx, rt, store.MessageFailure{MessageID: "msg_rt_2", Queue: "risk", ErrorClass: "transient",
		ErrorText: "boom again", ReceiveCount: 2, FirstFailedAt: now, LastFailedAt: now})
	require.NoError(t, err, "the upsert updates")
	require.NoError(t, store.StartOpsAction(ctx, rt, store.OpsAction{ActionID: "rpl_rt", Action: "dlq_replay", Actor: "test", Reason: "test"}))
	require.NoError(t, store.RecordOpsItem(ctx, rt, store.OpsItem{ActionID: "rpl_rt", ItemID: "m1"}))
	require.NoError(t, store.FinishOpsAction(ctx, rt, "rpl_rt"))
	require.NoError(t, recordWebhook(ctx, rt))

	require.NoError(t, store.InTx(ctx, rt, func(tx store.Tx) error {
		if err := store.RecordRenderTx(ctx, tx, docID, "s3://docs/x.pdf", strings.Repeat("a", 64)); err != nil {
			return err
		}
		if _, err := store.LockPackTx(ctx, tx, "dpk_"+docID); err != nil {
			return err
		}
		if _, err := store.BumpTrustVersionTx(ctx, tx, "usr_rt"); err != nil {
			return err
		}
		return store.CancelLegTx(ctx, tx, "leg_"+docID, "bkg_1", now)
	}))

	// Everything old is pruned as the runtime role, the evidence untouched.
	old := now.Add(-48 * time.Hour)
	for _, table := range []string{store.PruneInbox, store.PruneFailures, store.PruneWebhookEvents, store.PruneOpsActions} {
		pruneRows(t, rt, table, "old_"+table, 3, old)
	}
	pruneRows(t, rt, store.PruneOpsActionItems, "old_"+store.PruneOpsActions+"_0", 2, old)
	for _, table := range store.PruneTables {
		n, err := store.PruneBatch(ctx, rt, table, now.Add(-24*time.Hour), 100)
		require.NoError(t, err, table)
		require.Positive(t, n, table)
		left, err := store.PruneCount(ctx, rt, table, now.Add(-24*time.Hour))
		require.NoError(t, err)
		require.Zero(t, left, table)
	}
	n, err := store.CountSignEvents(ctx, rt, docID, "signed")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.True(t, slices.Contains(roles.Result.Granted, roles.Runtime))
}
