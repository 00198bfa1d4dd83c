package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/content"
	"trustdocs/store"
	"trustdocs/testkit"
)

func publish(t *testing.T, pool *pgxpool.Pool, lib *content.Library) map[string]store.Published {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	res, err := store.PublishContentTx(ctx, tx, lib, "test")
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	out := map[string]store.Published{}
	for _, p := range res {
		out[p.Kind+" "+p.Name] = p
	}
	return out
}

func TestPublishingVersionsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	lib, err := content.Load(content.FS)
	require.NoError(t, err)

	first := publish(t, pool, lib)
	for k, p := range first {
		require.Equal(t, "published", p.Action, k)
		require.Equal(t, 1, p.Version, k)
	}
	again := publish(t, pool, lib)
	for k, p := range again {
		require.Equal(t, "unchanged", p.Action, k)
	}

	// Edit one clause used by one template only.
	for i := range lib.Clauses {
		if lib.Clauses[i].Name == "House Rules: Standard" {
			lib.Clauses[i].Body = strings.Replace(lib.Clauses[i].Body, "No food or drink", "No food, drink or glitter", 1)
		}
	}
	third := publish(t, pool, lib)
	require.Equal(t, "published", third["clause House Rules: Standard"].Action)
	require.Equal(t, 2, third["clause House Rules: Standard"].Version)
	require.Equal(t, "cls_house-rules-standard_v2", third["clause House Rules: Standard"].ID)
	require.Equal(t, "published", third["template Studio House Rules"].Action, "its template pins the new version")
	require.Equal(t, 2, third["template Studio House Rules"].Version)
	require.Equal(t, "unchanged", third["template Talent SOW"].Action)
	require.Equal(t, "unchanged", third["clause SOW: Base Terms"].Action)

	var versions int
	require.NoError(t, pool.QueryRow(ctx, `select count(*) from doc_clause where name = 'House Rules: Standard' and published_at is not null`).Scan(&versions))
	require.Equal(t, 2, versions, "the old version stays for the packs that used it")

	live, err := store.LiveTemplates(ctx, pool)
	require.NoError(t, err)
	require.Len(t, live, 2)
	for _, tp := range live {
		if tp.Name == "Studio House Rules" {
			require.Equal(t, 2, tp.Version)
			require.Equal(t, "cls_house-rules-standard_v2", tp.Clauses[0].ClauseID)
			require.Contains(t, tp.Clauses[0].Body, "glitter")
		}
	}

	// Retiring a template hides it from new packs without touching its rows.
	for i := range lib.Templates {
		if lib.Templates[i].Name == "Talent SOW" {
			lib.Templates[i].Active = false
		}
	}
	fourth := publish(t, pool, lib)
	require.Equal(t, "deactivated", fourth["template Talent SOW"].Action)
	live, err = store.LiveTemplates(ctx, pool)
	require.NoError(t, err)
	require.Len(t, live, 1)
	require.Equal(t, "Studio House Rules", live[0].Name)
}
