package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/store"
	"trustdocs/testkit"
)

func TestTrustCacheRefusesStaleWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	testkit.Bootstrap(t, cfg, clients)
	db, table := clients.DynamoDB, cfg.TrustCacheTable

	now := time.Now().UTC().Truncate(time.Second)
	score := 82
	item := func(v int64, idv bool) store.TrustCacheItem {
		return store.TrustCacheItem{
			UserID: "usr_t_2002", IDVPassed: idv, AgeVerified: idv, RiskScore: &score,
			RiskWindow: "[2026-08-26,2026-11-24)", Badges: []string{"id_verified"},
			Version: v, ComputedAt: now, ValidUntil: now.Add(24 * time.Hour),
		}
	}

	require.NoError(t, store.PutTrustCache(ctx, db, table, item(2, true)), "first write")
	require.ErrorIs(t, store.PutTrustCache(ctx, db, table, item(1, false)), store.ErrStaleVersion, "older version")
	require.ErrorIs(t, store.PutTrustCache(ctx, db, table, item(2, false)), store.ErrStaleVersion, "same version")

	got, found, err := store.GetTrustCache(ctx, db, table, "usr_t_2002")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, item(2, true), got, "the newer item stayed, unchanged")

	require.NoError(t, store.PutTrustCache(ctx, db, table, item(3, false)), "newer version")
	got, _, err = store.GetTrustCache(ctx, db, table, "usr_t_2002")
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Version)
	require.False(t, got.IDVPassed)

	_, found, err = store.GetTrustCache(ctx, db, table, "usr_nobody")
	require.NoError(t, err)
	require.False(t, found)
}
