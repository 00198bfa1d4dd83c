package store_test

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/store"
	"trustdocs/testkit"
)

// seedColumns is the seeds' data model (docs/seeds), column by column:
// "name type [notnull] [default=expr]". Types are PostgreSQL's udt names.
var seedColumns = map[string][]string{
	"doc_clause": {
		"clause_id text notnull", "name text notnull", "version int4 notnull", "city_gate _text", "role_gate _text",
		"is_active bool default=true", "body_markdown text notnull", "variables_json jsonb notnull",
		"created_by text notnull", "created_at timestamptz notnull default=now()", "published_at timestamptz",
	},
	"doc_template": {
		"template_id text notnull", "name text notnull", "version int4 notnull", "city_gate _text", "role_gate _text",
		"clauses_ordered jsonb notnull", "layout_json jsonb notnull", "signer_roles jsonb notnull",
		"is_active bool default=true", "created_by text notnull", "created_at timestamptz notnull default=now()",
		"published_at timestamptz",
	},
	"doc_pack": {
		"pack_id text notnull", "leg_id text notnull", "status text notnull", "generator_ver text notnull",
		"city text notnull", "created_at timestamptz notnull default=now()", "updated_at timestamptz notnull default=now()",
	},
	"doc_instance": {
		"doc_id text notnull", "pack_id text notnull", "template_id text notnull", "template_version int4 notnull",
		"variables_filled jsonb notnull", "render_pdf_s3 text", "render_pdf_sha256 text", "envelope_id text",
		"envelope_status text default='none'::text", "signer_map_json jsonb notnull",
		"created_at timestamptz notnull default=now()", "updated_at timestamptz notnull default=now()",
	},
	"doc_sign_event": {
		"sign_event_id text notnull", "doc_id text notnull", "actor_role text notnull", "actor_user_id text",
		"actor_email text", "event text notnull", "provider_payload jsonb notnull",
		"created_at timestamptz notnull default=now()",
	},
	"idv_status": {
		"idv_id text notnull", "user_id text notnull", "provider text notnull", "provider_ref text notnull",
		"status text notnull", "checks_json jsonb notnull", "age_verified bool notnull default=false",
		"created_at timestamptz notnull default=now()", "updated_at timestamptz notnull default=now()",
	},
	"bg_status": {
		"bg_id text notnull", "user_id text notnull", "provider text notnull", "provider_ref text notnull",
		"status text notnull", "package text notnull", "adjudication text", "report_url text",
		"created_at timestamptz notnull default=now()", "updated_at timestamptz notnull default=now()",
	},
	"social_verification": {
		"soc_id text notnull", "user_id text notnull", "platform text notnull", "handle text notnull",
		"verified bool notnull default=false", "snapshot_json jsonb", "last_checked_at timestamptz",
	},
	"trust_badge": {
		"badge_id text notnull", "user_id text notnull", "kind text notnull", "source_id text",
		"issued_at timestamptz notnull default=now()", "expires_at timestamptz",
	},
	"trust_risk_signal": {
		"signal_id text notnull", "user_id text notnull", "window daterange notnull",
		"disputes_opened int4 notnull default=0", "refunds_asked int4 notnull default=0",
		"cancellations int4 notnull default=0", "late_delivery int4 notnull default=0",
		"charge_failures int4 notnull default=0", "bad_clicks int4 notnull default=0",
		"flags_json jsonb notnull default='{}'::jsonb", "score int4 notnull default=0",
		"computed_at timestamptz notnull default=now()",
	},
}

// extensionColumns are the columns migrations add to seed tables, each commented in its
// migration; any other extra column fails the test until it is listed here.
var extensionColumns = map[string][]string{
	"doc_pack": {"source_event_id", "failure"},
	"doc_instance": {"clause_ids", "legal_hold", "legal_hold_reason", "legal_hold_actor", "legal_hold_at",
		"envelope_provider", "envelope_recipients", "envelope_error", "signed_pdf_s3", "signed_pdf_sha256", "certificate_pdf_s3", "certificate_pdf_sha256"},
	"doc_sign_event": {"prev_hash", "chain_hash", "seq"},
	"bg_status":      {"status_at", "adjudication_at"},
	"trust_badge":    {"revoked_at", "revoked_reason"},
}

var seedPrimaryKeys = map[string]string{
	"doc_clause": "clause_id", "doc_template": "template_id", "doc_pack": "pack_id", "doc_instance": "doc_id",
	"doc_sign_event": "sign_event_id", "idv_status": "idv_id", "bg_status": "bg_id", "social_verification": "soc_id",
	"trust_badge": "badge_id", "trust_risk_signal": "signal_id",
}

// seedChecks: table.column -> the values its check constraint allows.
var seedChecks = map[string][]string{
	"doc_pack.status":              {"draft", "issued", "signed", "voided", "superseded"},
	"doc_instance.envelope_status": {"none", "sent", "completed", "voided", "expired"},
	"doc_sign_event.event":         {"envelope_sent", "viewed", "signed", "declined", "voided", "expired"},
	"idv_status.status":            {"pending", "passed", "failed", "expired", "requires_review"},
	"bg_status.status":             {"invited", "in_progress", "clear", "consider", "suspended", "disputed", "withdrawn", "expired"},
	"social_verification.platform": {"instagram", "tiktok", "youtube", "x"},
	"trust_badge.kind":             {"id_verified", "trusted_pro", "social_verified"},
}

// seedUniques: the seeds' unique constraints. The seed's doc_pack(leg_id, status) is
// refined by migration 00005 into one live pack per leg (see doc_pack_live_unique below).
var seedUniques = []string{
	"doc_clause(name,version)", "doc_template(name,version)",
	"idv_status(user_id,provider_ref)", "bg_status(user_id,provider_ref)",
}

// seedForeignKeys: "table(column) -> table(column) on delete action".
var seedForeignKeys = []string{
	"doc_pack(leg_id) -> booking_leg(leg_id) cascade",
	"doc_instance(pack_id) -> doc_pack(pack_id) cascade",
	"doc_instance(template_id) -> doc_template(template_id) no action",
	"doc_sign_event(doc_id) -> doc_instance(doc_id) cascade",
}

func TestMigrateTwiceThenSchemaMatchesSeeds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg) // first run

	again, err := store.Migrate(ctx, pool)
	require.NoError(t, err, "second migrate")
	require.Empty(t, again.Applied, "second run applies nothing")
	require.Empty(t, again.RiverApplied, "second run applies no River migration")
	require.Positive(t, again.Version)

	t.Run("columns", func(t *testing.T) {
		for table, cols := range seedColumns {
			rows, err := pool.Query(ctx, `
				select column_name, udt_name, is_nullable = 'NO', coalesce(column_default, '')
				from information_schema.columns where table_schema = 'public' and table_name = $1`, table)
			require.NoError(t, err)
			got := map[string]string{}
			for rows.Next() {
				var name, typ, def string
				var notNull bool
				require.NoError(t, rows.Scan(&name, &typ, &notNull, &def))
				got[name] = columnSpec(name, typ, notNull, def)
			}
			require.NoError(t, rows.Err())
			require.NotEmpty(t, got, "table %s exists", table)
			for _, want := range cols {
				name := strings.Fields(want)[0]
				require.Equal(t, want, got[name], "%s.%s", table, name)
			}
			for name := range got {
				isSeed := slices.ContainsFunc(cols, func(c string) bool { return strings.Fields(c)[0] == name })
				require.True(t, isSeed || slices.Contains(extensionColumns[table], name),
					"%s.%s is neither a seed column nor a listed extension", table, name)
			}
		}
	})

	t.Run("primary keys", func(t *testing.T) {
		for table, col := range seedPrimaryKeys {
			require.Equal(t, []string{col}, constraintColumns(t, pool, table, "p"), table)
		}
	})

	t.Run("checks", func(t *testing.T) {
		rows, err := pool.Query(ctx, `
			select c.conrelid::regclass::text, a.attname, pg_get_constraintdef(c.oid)
			from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
			where c.contype = 'c' and c.connamespace = 'public'::regnamespace`)
		require.NoError(t, err)
		got := map[string][]string{}
		quoted := regexp.MustCompile(`'([^']*)'::text`)
		for rows.Next() {
			var table, col, def string
			require.NoError(t, rows.Scan(&table, &col, &def))
			for _, m := range quoted.FindAllStringSubmatch(def, -1) {
				got[table+"."+col] = append(got[table+"."+col], m[1])
			}
		}
		require.NoError(t, rows.Err())
		for key, want := range seedChecks {
			require.ElementsMatch(t, want, got[key], "check on %s", key)
		}
	})

	t.Run("uniques", func(t *testing.T) {
		rows, err := pool.Query(ctx, `
			select c.conrelid::regclass::text, c.condeferrable and c.condeferred,
			       array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
			             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i)
			from pg_constraint c where c.contype = 'u' and c.connamespace = 'public'::regnamespace`)
		require.NoError(t, err)
		var got []string
		for rows.Next() {
			var table string
			var deferred bool
			var cols []string
			require.NoError(t, rows.Scan(&table, &deferred, &cols))
			s := table + "(" + strings.Join(cols, ",") + ")"
			if deferred {
				s += " deferred"
			}
			got = append(got, s)
		}
		require.NoError(t, rows.Err())
		for _, want := range seedUniques {
			require.Contains(t, got, want)
		}
	})

	t.Run("foreign keys", func(t *testing.T) {
		rows, err := pool.Query(ctx, `
			select format('%s(%s) -> %s(%s) %s', c.conrelid::regclass, a.attname, c.confrelid::regclass, f.attname,
			       case c.confdeltype when 'c' then 'cascade' when 'a' then 'no action' else c.confdeltype::text end)
			from pg_constraint c
			join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
			join pg_attribute f on f.attrelid = c.confrelid and f.attnum = c.confkey[1]
			where c.contype = 'f' and c.connamespace = 'public'::regnamespace`)
		require.NoError(t, err)
		var got []string
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			got = append(got, s)
		}
		require.NoError(t, rows.Err())
		for _, want := range seedForeignKeys {
			require.Contains(t, got, want)
		}
	})

	t.Run("doc_pack live unique", func(t *testing.T) {
		var def string
		require.NoError(t, pool.QueryRow(ctx, `select pg_get_indexdef('doc_pack_one_live_per_leg'::regclass)`).Scan(&def))
		require.Contains(t, def, "UNIQUE INDEX")
		require.Contains(t, def, "(leg_id) WHERE")
		_, err := pool.Exec(ctx, `
			insert into booking_leg (leg_id, booking_id, city) values ('leg_u', 'bkg_u', 'NYC');
			insert into doc_pack (pack_id, leg_id, status, generator_ver, city) values
			  ('dpk_1', 'leg_u', 'superseded', 'g', 'NYC'), ('dpk_2', 'leg_u', 'superseded', 'g', 'NYC'),
			  ('dpk_3', 'leg_u', 'voided', 'g', 'NYC'), ('dpk_4', 'leg_u', 'issued', 'g', 'NYC')`)
		require.NoError(t, err, "any number of superseded packs, one live")
		_, err = pool.Exec(ctx, `insert into doc_pack (pack_id, leg_id, status, generator_ver, city) values ('dpk_5', 'leg_u', 'draft', 'g', 'NYC')`)
		require.ErrorContains(t, err, "doc_pack_one_live_per_leg", "a second live pack is refused")
	})

	t.Run("river tables", func(t *testing.T) {
		for _, table := range []string{"river_job", "river_leader", "river_queue", "river_migration"} {
			var ok bool
			require.NoError(t, pool.QueryRow(ctx, `select to_regclass($1) is not null`, table).Scan(&ok))
			require.True(t, ok, table)
		}
	})

	t.Run("checks refuse bad values", func(t *testing.T) {
		_, err := pool.Exec(ctx, `insert into trust_badge (badge_id, user_id, kind) values ('tbg_x', 'usr_x', 'gold_star')`)
		require.ErrorContains(t, err, "trust_badge_kind_check")
	})
}

func columnSpec(name, typ string, notNull bool, def string) string {
	s := name + " " + typ
	if notNull {
		s += " notnull"
	}
	if def != "" {
		s += " default=" + def
	}
	return s
}

func constraintColumns(t *testing.T, pool *pgxpool.Pool, table, kind string) []string {
	t.Helper()
	var cols []string
	err := pool.QueryRow(context.Background(), `
		select array(select a.attname::text from pg_constraint c
		             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
		             where c.conrelid = $1::regclass and c.contype = $2 order by a.attnum)`,
		table, kind).Scan(&cols)
	require.NoError(t, err)
	sort.Strings(cols)
	return cols
}
