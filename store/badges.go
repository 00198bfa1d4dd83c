package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"trustdocs/trust"
)

// BadgeInputsTx reads what trust.DeriveBadges decides from: the user's badge sources
// (identity sessions, background checks, platform checks) and trust_badge rows. The
// caller holds the user's trust lock (LockTrustUserTx), so derivations of one user never
// interleave.
func BadgeInputsTx(ctx context.Context, tx pgx.Tx, userID string) (trust.Sources, []trust.Badge, error) {
	var src trust.Sources
	var err error
	if src.IDV, err = sourceStates(ctx, tx, `select idv_id, status = 'passed' and age_verified, status, updated_at
		from idv_status where user_id = $1`, userID); err != nil {
		return src, nil, err
	}
	if src.BG, err = sourceStates(ctx, tx, `select bg_id, status = 'clear', status, coalesce(status_at, updated_at)
		from bg_status where user_id = $1`, userID); err != nil {
		return src, nil, err
	}
	if src.Social, err = sourceStates(ctx, tx, `select soc_id, verified, case when verified then 'verified' else 'not verified' end,
		coalesce(last_checked_at, '-infinity') from social_verification where user_id = $1`, userID); err != nil {
		return src, nil, err
	}
	rows, err := tx.Query(ctx, `select badge_id, kind, coalesce(source_id, ''), expires_at, revoked_at is not null
		from trust_badge where user_id = $1 order by issued_at, badge_id`, userID)
	if err != nil {
		return src, nil, fmt.Errorf("badges of %s: %w", userID, err)
	}
	var badges []trust.Badge
	for rows.Next() {
		var b trust.Badge
		if err := rows.Scan(&b.ID, &b.Kind, &b.Source, &b.Expires, &b.Revoked); err != nil {
			return src, nil, fmt.Errorf("badges of %s: %w", userID, err)
		}
		badges = append(badges, b)
	}
	return src, badges, rows.Err()
}

func sourceStates(ctx context.Context, tx pgx.Tx, sql, userID string) (map[string]trust.Source, error) {
	rows, err := tx.Query(ctx, sql, userID)
	if err != nil {
		return nil, fmt.Errorf("badge sources of %s: %w", userID, err)
	}
	out := map[string]trust.Source{}
	for rows.Next() {
		var s trust.Source
		if err := rows.Scan(&s.ID, &s.OK, &s.Status, &s.At); err != nil {
			return nil, fmt.Errorf("badge sources of %s: %w", userID, err)
		}
		out[s.ID] = s
	}
	return out, rows.Err()
}

// ApplyBadgeChangesTx writes what trust.DeriveBadges decided: issued badges are new
// rows, extended ones get their new expiry, revoked ones keep their row with when and
// why.
func ApplyBadgeChangesTx(ctx context.Context, tx pgx.Tx, userID string, changes []trust.BadgeChange, now time.Time) error {
	for _, c := range changes {
		var err error
		switch c.Action {
		case trust.BadgeIssued:
			_, err = tx.Exec(ctx, `insert into trust_badge (badge_id, user_id, kind, source_id, issued_at, expires_at)
				values ($1, $2, $3, $4, $5, $6)`, c.BadgeID, userID, c.Kind, c.SourceID, now, c.Expires)
		case trust.BadgeExtended:
			_, err = tx.Exec(ctx, `update trust_badge set expires_at = $2 where badge_id = $1`, c.BadgeID, c.Expires)
		case trust.BadgeRevoked:
			_, err = tx.Exec(ctx, `update trust_badge set revoked_at = $2, revoked_reason = $3 where badge_id = $1`,
				c.BadgeID, now, c.Reason)
		default:
			err = fmt.Errorf("unknown action %q", c.Action)
		}
		if err != nil {
			return fmt.Errorf("%s %s badge %s of %s: %w", c.Action, c.Kind, c.BadgeID, userID, err)
		}
	}
	return nil
}
