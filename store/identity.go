package store

import (
	"context"
	"encoding/json"
	"fmt"

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
// false, and checks are replaced only by a non-empty set. It reports whether the status
// or age_verified changed (what the trust cache shows; checks alone are not).
func UpsertIDVTx(ctx context.Context, tx pgx.Tx, u IDVUpdate) (changed bool, err error) {
	checks := []byte("[]")
	if u.Checks != nil {
		if checks, err = json.Marshal(u.Checks); err != nil {
			return false, fmt.Errorf("idv checks: %w", err)
		}
	}
	initial := u.Status
	if initial == "" {
		initial = "pending"
	}
	// prev sees the row as it was before this statement (one snapshot for the whole
	// statement), so the change is known without a second query.
	err = tx.QueryRow(ctx, fmt.Sprintf(`
		with prev as (select status, age_verified from idv_status where user_id = $2 and provider_ref = $4)
		insert into idv_status (idv_id, user_id, provider, provider_ref, status, checks_json, age_verified)
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (user_id, provider_ref) do update set
		  status = case when (%s) > (%s) then excluded.status else idv_status.status end,
		  checks_json = case when excluded.checks_json <> '[]'::jsonb then excluded.checks_json else idv_status.checks_json end,
		  age_verified = idv_status.age_verified or excluded.age_verified,
		  updated_at = now()
		returning (status, age_verified) is distinct from (select (status, age_verified) from prev)`,
		fmt.Sprintf(idvRank, "excluded.status"), fmt.Sprintf(idvRank, "idv_status.status")),
		u.IDVID, u.UserID, u.Provider, u.ProviderRef, initial, string(checks), u.AgeVerified).Scan(&changed)
	if err != nil {
		return false, fmt.Errorf("idv %s/%s: %w", u.UserID, u.ProviderRef, err)
	}
	return changed, nil
}
