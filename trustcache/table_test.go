package trustcache

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/testkit"
	"trustdocs/trust"
)

func TestTrustCacheRefusesStaleWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tab := cacheTable(t)

	now := time.Now().UTC().Truncate(time.Second)
	score := 82
	item := func(v int64, idv bool) trust.CacheItem {
		return trust.CacheItem{
			UserID: "usr_t_2002", IDVPassed: idv, AgeVerified: idv, RiskScore: &score,
			RiskWindow: "[2026-08-26,2026-11-24)", Badges: []string{"id_verified"},
			Version: v, ComputedAt: now, ValidUntil: now.Add(24 * time.Hour),
		}
	}

	require.NoError(t, tab.put(ctx, item(2, true)), "first write")
	require.ErrorIs(t, tab.put(ctx, item(1, false)), ErrStaleVersion, "older version")
	require.ErrorIs(t, tab.put(ctx, item(2, false)), ErrStaleVersion, "same version")

	got, found, err := tab.Get(ctx, "usr_t_2002")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, item(2, true), got, "the newer item stayed, unchanged")

	require.NoError(t, tab.put(ctx, item(3, false)), "newer version")
	got, _, err = tab.Get(ctx, "usr_t_2002")
	require.NoError(t, err)
	require.Equal(t, int64(3), got.Version)
	require.False(t, got.IDVPassed)

	_, found, err = tab.Get(ctx, "usr_nobody")
	require.NoError(t, err)
	require.False(t, found)
}

// Two refreshes of one user race with versions v and v+1: whichever order DynamoDB sees
// them in, v+1 stays.
func TestRacingRefreshesLeaveTheNewerVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tab := cacheTable(t)
	for round := range 20 {
		user := fmt.Sprintf("usr_race_%d", round)
		v := int64(round + 1)
		older := trust.CacheItem{UserID: user, Version: v, Badges: []string{}}
		newer := trust.CacheItem{UserID: user, Version: v + 1, Badges: []string{"id_verified"}, IDVPassed: true}
		first, second := older, newer
		if round%2 == 1 {
			first, second = newer, older // the newer one lands first
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, it := range []trust.CacheItem{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 1 && round%4 < 2 {
					time.Sleep(time.Millisecond) // half the rounds ordered, half truly concurrent
				}
				errs[i] = tab.put(ctx, it)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				require.ErrorIs(t, err, ErrStaleVersion, "the only refusal is the stale one")
			}
		}
		got, found, err := tab.Get(ctx, user)
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, v+1, got.Version, "round %d", round)
		require.True(t, got.IDVPassed, "round %d: the newer item's content", round)
	}
}

// cacheTable provisions a trust_cache table of the test's own.
func cacheTable(t *testing.T) Table {
	t.Helper()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	testkit.Bootstrap(t, cfg, clients)
	return Table{DB: clients.DynamoDB, Name: cfg.TrustCacheTable}
}
