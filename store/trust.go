package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// IDVUpdate is one identity-verification change to apply.
type IDVUpdate struct {
	IDVID, UserID, Provider, ProviderRef, Status string
	Checks                                       any // non-PII summaries; nil keeps the stored ones
	AgeVerified                                  bool
}

// idvRank orders identity statuses for one session: pending < requires_review <
// passed | failed | expired. A status only moves to a higher rank, so the final outcomes
// never change and a late event never moves a status back.
const idvRank = `case %s when 'pending' then 1 when 'requires_review' then 2 when 'passed' then 3 when 'failed' then 3 when 'expired' then 3 else 0 end`

// UpsertIDVTx applies an identity update to idv_status (one row per user and provider
// reference): the status moves only to a higher rank, age_verified never goes back to
// false, and checks are replaced only by a non-empty set. It returns the row's status
// and age_verified afterwards.
func UpsertIDVTx(ctx context.Context, tx pgx.Tx, u IDVUpdate) (status string, ageVerified bool, err error) {
	checks := []byte("[]")
	if u.Checks != nil {
		if checks, err = json.Marshal(u.Checks); err != nil {
			return "", false, fmt.Errorf("idv checks: %w", err)
		}
	}
	initial := u.Status
	if initial == "" {
		initial = "pending"
	}
	err = tx.QueryRow(ctx, fmt.Sprintf(`
		insert into idv_status (idv_id, user_id, provider, provider_ref, status, checks_json, age_verified)
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (user_id, provider_ref) do update set
		  status = case when (%s) > (%s) then excluded.status else idv_status.status end,
		  checks_json = case when excluded.checks_json <> '[]'::jsonb then excluded.checks_json else idv_status.checks_json end,
		  age_verified = idv_status.age_verified or excluded.age_verified,
		  updated_at = now()
		returning status, age_verified`, fmt.Sprintf(idvRank, "excluded.status"), fmt.Sprintf(idvRank, "idv_status.status")),
		u.IDVID, u.UserID, u.Provider, u.ProviderRef, initial, string(checks), u.AgeVerified).Scan(&status, &ageVerified)
	if err != nil {
		return "", false, fmt.Errorf("idv %s/%s: %w", u.UserID, u.ProviderRef, err)
	}
	return status, ageVerified, nil
}

// IssueBadgeTx gives a user a badge from a source unless that badge is already active;
// it reports whether it issued one.
func IssueBadgeTx(ctx context.Context, tx pgx.Tx, badgeID, userID, kind, sourceID string, expires time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `
		insert into trust_badge (badge_id, user_id, kind, source_id, expires_at)
		select $1, $2, $3, $4, $5
		where not exists (select 1 from trust_badge where user_id = $2 and kind = $3 and source_id = $4
		                  and (expires_at is null or expires_at > now()))
		on conflict (badge_id) do nothing`, badgeID, userID, kind, sourceID, expires)
	if err != nil {
		return false, fmt.Errorf("badge %s for %s: %w", kind, userID, err)
	}
	return tag.RowsAffected() == 1, nil
}
