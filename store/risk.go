package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"trustdocs/risk"
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

// CountRiskTx counts a user's ledger rows in a window, per kind.
func CountRiskTx(ctx context.Context, tx pgx.Tx, userID string, w risk.Window) (risk.Counters, error) {
	var c risk.Counters
	err := tx.QueryRow(ctx, `
		select count(*) filter (where kind = 'disputes_opened'), count(*) filter (where kind = 'refunds_asked'),
		       count(*) filter (where kind = 'cancellations'), count(*) filter (where kind = 'late_delivery'),
		       count(*) filter (where kind = 'charge_failures'), count(*) filter (where kind = 'bad_clicks'),
		       count(*) filter (where kind = 'completed_booking')
		from risk_event where user_id = $1 and occurred_at >= $2 and occurred_at < $3`, userID, w.Start, w.End).
		Scan(&c.DisputesOpened, &c.RefundsAsked, &c.Cancellations, &c.LateDelivery, &c.ChargeFailures, &c.BadClicks, &c.Volume)
	if err != nil {
		return c, fmt.Errorf("count risk events of %s in %s: %w", userID, w, err)
	}
	return c, nil
}

// UpsertRiskSnapshotTx stores the snapshot of a (user, window), replacing the stored one
// only if its counters, score or flags differ: recomputing with the same inputs changes
// nothing, computed_at included. It reports whether the row changed.
func UpsertRiskSnapshotTx(ctx context.Context, tx pgx.Tx, s risk.Snapshot) (bool, error) {
	flags, err := json.Marshal(s.Result)
	if err != nil {
		return false, fmt.Errorf("encode flags: %w", err)
	}
	c := s.Counters
	tag, err := tx.Exec(ctx, `
		insert into trust_risk_signal (signal_id, user_id, "window", disputes_opened, refunds_asked, cancellations,
		                               late_delivery, charge_failures, bad_clicks, flags_json, score)
		values ($1, $2, daterange($3::date, $4::date), $5, $6, $7, $8, $9, $10, $11, $12)
		on conflict (user_id, "window") do update set
		  disputes_opened = excluded.disputes_opened, refunds_asked = excluded.refunds_asked,
		  cancellations = excluded.cancellations, late_delivery = excluded.late_delivery,
		  charge_failures = excluded.charge_failures, bad_clicks = excluded.bad_clicks,
		  flags_json = excluded.flags_json, score = excluded.score, computed_at = now()
		where (trust_risk_signal.disputes_opened, trust_risk_signal.refunds_asked, trust_risk_signal.cancellations,
		       trust_risk_signal.late_delivery, trust_risk_signal.charge_failures, trust_risk_signal.bad_clicks,
		       trust_risk_signal.flags_json, trust_risk_signal.score)
		      is distinct from
		      (excluded.disputes_opened, excluded.refunds_asked, excluded.cancellations, excluded.late_delivery,
		       excluded.charge_failures, excluded.bad_clicks, excluded.flags_json, excluded.score)`,
		s.SignalID, s.UserID, s.Window.Start, s.Window.End, c.DisputesOpened, c.RefundsAsked, c.Cancellations,
		c.LateDelivery, c.ChargeFailures, c.BadClicks, string(flags), s.Result.Score)
	if err != nil {
		return false, fmt.Errorf("store risk snapshot of %s %s: %w", s.UserID, s.Window, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RiskUsersSince returns the users with ledger rows at or after since: those whose
// rolling windows can change when the day rolls.
func RiskUsersSince(ctx context.Context, q Querier, since time.Time) ([]string, error) {
	rows, err := q.Query(ctx, `select distinct user_id from risk_event where occurred_at >= $1 order by user_id`, since)
	if err != nil {
		return nil, fmt.Errorf("risk users since %s: %w", since.Format(time.DateOnly), err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// LedgerRow is one risk ledger row.
type LedgerRow struct {
	EventID, UserID, Kind  string
	OccurredAt, RecordedAt time.Time
}

// LedgerOf returns the risk ledger rows of an event, of a leg or of a user (one of them
// set).
func LedgerOf(ctx context.Context, q Querier, eventID, legID, userID string) ([]LedgerRow, error) {
	rows, err := q.Query(ctx, `select event_id, user_id, kind, occurred_at, recorded_at from risk_event
		where ($1 <> '' and event_id = $1) or ($2 <> '' and leg_id = $2) or ($3 <> '' and user_id = $3)
		order by recorded_at`, eventID, legID, userID)
	if err != nil {
		return nil, fmt.Errorf("risk ledger: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[LedgerRow])
}
