package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"trustdocs/risk"
	"trustdocs/trust"
)

// LoadTrustState reads a user's trust state in one repeatable-read transaction (in a
// test's transaction, a savepoint of it). The rolling windows it reports are the newest
// snapshot of each length in windowDays.
func LoadTrustState(ctx context.Context, db DB, userID string, windowDays []int, now time.Time) (trust.State, error) {
	s := trust.State{UserID: userID}
	err := snapshotTx(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			select coalesce((select version from trust_user where user_id = $1), 0),
			       exists (select 1 from idv_status where user_id = $1 and status = 'passed'),
			       exists (select 1 from idv_status where user_id = $1 and status = 'passed' and age_verified)`, userID).
			Scan(&s.Version, &s.IDVPassed, &s.AgeVerified)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			select kind, max(expires_at) from trust_badge
			where user_id = $1 and revoked_at is null and (expires_at is null or expires_at > $2)
			group by kind order by kind`, userID, now)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b trust.ActiveBadge
			if err := rows.Scan(&b.Kind, &b.Expires); err != nil {
				return err
			}
			s.Badges = append(s.Badges, b)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
			select distinct on (upper("window") - lower("window"))
			       signal_id, lower("window"), upper("window"), disputes_opened, refunds_asked, cancellations,
			       late_delivery, charge_failures, bad_clicks, flags_json
			from trust_risk_signal
			where user_id = $1 and upper("window") - lower("window") = any($2) and lower("window") <= $3::date
			order by upper("window") - lower("window"), upper("window") desc`, userID, windowDays, now)
		if err != nil {
			return err
		}
		for rows.Next() {
			r := risk.Snapshot{UserID: userID}
			var flags []byte
			c := &r.Counters
			if err := rows.Scan(&r.SignalID, &r.Window.Start, &r.Window.End, &c.DisputesOpened, &c.RefundsAsked, &c.Cancellations,
				&c.LateDelivery, &c.ChargeFailures, &c.BadClicks, &flags); err != nil {
				return err
			}
			if err := json.Unmarshal(flags, &r.Result); err != nil {
				return fmt.Errorf("flags_json of %s: %w", r.SignalID, err)
			}
			c.Volume = r.Result.Volume
			s.Risk = append(s.Risk, r)
		}
		return rows.Err()
	})
	if err != nil {
		return s, fmt.Errorf("trust state of %s: %w", userID, err)
	}
	return s, nil
}

// snapshotTx runs fn in a read-only repeatable-read transaction of a pool, so every
// read sees one snapshot; given a transaction, it runs fn in a savepoint of it.
func snapshotTx(ctx context.Context, db DB, fn func(tx pgx.Tx) error) error {
	if p, ok := db.(*pgxpool.Pool); ok {
		return pgx.BeginTxFunc(ctx, p, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	}
	return pgx.BeginFunc(ctx, db, fn)
}
