package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CancelLegTx records a leg's cancellation time (the latest one wins).
func CancelLegTx(ctx context.Context, tx pgx.Tx, legID, bookingID string, at time.Time) error {
	_, err := tx.Exec(ctx, `
		insert into booking_leg (leg_id, booking_id, cancelled_at) values ($1, $2, $3)
		on conflict (leg_id) do update set cancelled_at = greatest(booking_leg.cancelled_at, excluded.cancelled_at), updated_at = now()`,
		legID, bookingID, at)
	if err != nil {
		return fmt.Errorf("cancel leg %s: %w", legID, err)
	}
	return nil
}

// LegCancelledAt returns when a leg was cancelled, if it was.
func LegCancelledAt(ctx context.Context, q Querier, legID string) (t time.Time, cancelled bool, err error) {
	var at *time.Time
	err = q.QueryRow(ctx, `select cancelled_at from booking_leg where leg_id = $1`, legID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && at == nil) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("leg %s: %w", legID, err)
	}
	return *at, true, nil
}

// Leg is a booking_leg row.
type Leg struct {
	LegID, BookingID, City string
	CreatedAt              time.Time
	CancelledAt            *time.Time
}

// LegByID returns a leg; found is false when there is none.
func LegByID(ctx context.Context, q Querier, legID string) (l Leg, found bool, err error) {
	err = q.QueryRow(ctx, `select leg_id, booking_id, coalesce(city, '-'), created_at, cancelled_at from booking_leg where leg_id = $1`, legID).
		Scan(&l.LegID, &l.BookingID, &l.City, &l.CreatedAt, &l.CancelledAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("leg %s: %w", legID, err)
	}
	return l, true, nil
}
