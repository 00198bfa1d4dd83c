package trustcache

import (
	"context"
	"errors"
	"time"

	"trustdocs/store"
	"trustdocs/trust"
)

// Writer builds users' items from PostgreSQL and writes them to the table.
type Writer struct {
	Table      Table
	WindowDays []int // rolling risk windows, shortest first
}

// Write builds the user's item at now from one consistent read of their trust state and
// writes it unless the table holds the same or a newer version. It returns the item it
// built and whether it was written (false: refused as stale, which is not an error).
func (w Writer) Write(ctx context.Context, db store.DB, userID string, now time.Time) (trust.CacheItem, bool, error) {
	state, err := store.LoadTrustState(ctx, db, userID, w.WindowDays, now)
	if err != nil {
		return trust.CacheItem{}, false, err
	}
	item := trust.Item(state, now)
	err = w.Table.put(ctx, item)
	switch {
	case errors.Is(err, ErrStaleVersion):
		return item, false, nil
	case err != nil:
		return item, false, err
	}
	return item, true, nil
}
