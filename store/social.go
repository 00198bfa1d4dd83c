package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SocialUpdate is one social-verification check.
type SocialUpdate struct {
	SocID, UserID, Platform, Handle string
	Verified                        bool
	Snapshot                        json.RawMessage // non-secret metrics; nil for none
	CheckedAt                       time.Time
}

// ApplySocialTx stores a platform check in social_verification (one row per user and
// platform) unless a newer check is already stored; it reports whether the row changed.
func ApplySocialTx(ctx context.Context, tx pgx.Tx, u SocialUpdate) (bool, error) {
	var snap any
	if len(u.Snapshot) > 0 {
		snap = string(u.Snapshot)
	}
	tag, err := tx.Exec(ctx, `
		insert into social_verification (soc_id, user_id, platform, handle, verified, snapshot_json, last_checked_at)
		values ($1, $2, $3, $4, $5, $6::jsonb, $7)
		on conflict (user_id, platform) do update set
		  handle = excluded.handle, verified = excluded.verified, snapshot_json = excluded.snapshot_json,
		  last_checked_at = excluded.last_checked_at
		where social_verification.last_checked_at is null or excluded.last_checked_at > social_verification.last_checked_at`,
		u.SocID, u.UserID, u.Platform, u.Handle, u.Verified, snap, u.CheckedAt)
	if err != nil {
		return false, fmt.Errorf("social %s/%s: %w", u.UserID, u.Platform, err)
	}
	return tag.RowsAffected() == 1, nil
}
