package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RiskEvent is one row of the risk ledger: a signal (or a completed booking) counted
// once for one user.
type RiskEvent struct {
	EventID, UserID, Kind string
	OccurredAt            time.Time
	BookingID, LegID      string
}

// InsertRiskEventsTx adds ledger rows, skipping any already recorded, and returns how
// many were new.
func InsertRiskEventsTx(ctx context.Context, tx pgx.Tx, evs []RiskEvent) (int64, error) {
	var added int64
	for _, e := range evs {
		tag, err := tx.Exec(ctx, `
			insert into risk_event (event_id, user_id, kind, occurred_at, booking_id, leg_id)
			values ($1, $2, $3, $4, nullif($5, ''), nullif($6, ''))
			on conflict (event_id, user_id) do nothing`,
			e.EventID, e.UserID, e.Kind, e.OccurredAt, e.BookingID, e.LegID)
		if err != nil {
			return added, fmt.Errorf("insert risk event %s for %s: %w", e.EventID, e.UserID, err)
		}
		added += tag.RowsAffected()
	}
	return added, nil
}
