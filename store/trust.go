package store

import (
	"context"
	"encoding/json"
	"errors"
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

// BumpTrustVersionTx adds one to the user's trust version and returns it. Call it in the
// transaction that changes anything the trust_cache item shows: the row lock it takes
// (held to commit) is what a cache refresh and a risk recompute synchronize on.
func BumpTrustVersionTx(ctx context.Context, tx pgx.Tx, userID string) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `
		insert into trust_user (user_id, version) values ($1, 1)
		on conflict (user_id) do update set version = trust_user.version + 1, changed_at = now()
		returning version`, userID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("bump trust version of %s: %w", userID, err)
	}
	return v, nil
}

// LockTrustUserTx locks the user's trust row (creating it at version 0) and returns its
// version. Bumps wait for the lock, so what the holder reads cannot be overtaken by a
// change it does not see.
func LockTrustUserTx(ctx context.Context, tx pgx.Tx, userID string) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `
		insert into trust_user (user_id) values ($1)
		on conflict (user_id) do update set user_id = excluded.user_id
		returning version`, userID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("lock trust row of %s: %w", userID, err)
	}
	return v, nil
}

// SetTrustVersionAtLeastTx raises the user's version to at least v (never lowers it) and
// returns it: reconcile uses it when DynamoDB holds a version PostgreSQL never issued.
func SetTrustVersionAtLeastTx(ctx context.Context, tx pgx.Tx, userID string, v int64) (int64, error) {
	var got int64
	err := tx.QueryRow(ctx, `
		insert into trust_user (user_id, version) values ($1, $2)
		on conflict (user_id) do update set version = greatest(trust_user.version, excluded.version), changed_at = now()
		returning version`, userID, v).Scan(&got)
	if err != nil {
		return 0, fmt.Errorf("raise trust version of %s: %w", userID, err)
	}
	return got, nil
}

// BGCandidate maps a provider's candidate to our user, from the event that requested
// the check.
type BGCandidate struct {
	Provider, CandidateID, UserID, Package, InvitationID string
	RequestedAt                                          time.Time
}

// RegisterCandidateTx records a candidate mapping and the check's first status,
// `invited`, in bg_status (one row per user and candidate). A repeated request changes
// nothing; it reports whether the status row is new.
func RegisterCandidateTx(ctx context.Context, tx pgx.Tx, c BGCandidate, bgID string) (bool, error) {
	_, err := tx.Exec(ctx, `
		insert into bg_candidate (provider, candidate_id, user_id, package, invitation_id, requested_at)
		values ($1, $2, $3, $4, nullif($5, ''), $6)
		on conflict (provider, candidate_id) do nothing`,
		c.Provider, c.CandidateID, c.UserID, c.Package, c.InvitationID, c.RequestedAt)
	if err != nil {
		return false, fmt.Errorf("candidate %s/%s: %w", c.Provider, c.CandidateID, err)
	}
	tag, err := tx.Exec(ctx, `
		insert into bg_status (bg_id, user_id, provider, provider_ref, status, package, status_at)
		values ($1, $2, $3, $4, 'invited', $5, $6)
		on conflict (user_id, provider_ref) do nothing`, bgID, c.UserID, c.Provider, c.CandidateID, c.Package, c.RequestedAt)
	if err != nil {
		return false, fmt.Errorf("bg status for candidate %s: %w", c.CandidateID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CandidateTx returns the mapping of a provider's candidate.
func CandidateTx(ctx context.Context, tx pgx.Tx, provider, candidateID string) (c BGCandidate, found bool, err error) {
	err = tx.QueryRow(ctx, `
		select provider, candidate_id, user_id, package, coalesce(invitation_id, ''), requested_at
		from bg_candidate where provider = $1 and candidate_id = $2`, provider, candidateID).
		Scan(&c.Provider, &c.CandidateID, &c.UserID, &c.Package, &c.InvitationID, &c.RequestedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("candidate %s/%s: %w", provider, candidateID, err)
	}
	return c, true, nil
}

// BGUpdate is one background-check event for bg_status; Status or Adjudication may be
// empty (no change to that part).
type BGUpdate struct {
	BGID, UserID, Provider, ProviderRef, Package string
	Status, Adjudication                         string
	At                                           time.Time
}

// ApplyBGTx applies a background-check event: its status replaces the stored one only if
// the event is newer than the one that set it, and likewise its adjudication step, so a
// late or replayed event never moves the check back in time. It returns whether anything
// changed and the status afterwards.
func ApplyBGTx(ctx context.Context, tx pgx.Tx, u BGUpdate) (changed bool, status string, err error) {
	initial := u.Status
	if initial == "" {
		initial = "in_progress" // an adjudication step before any status event: the check is under way
	}
	err = tx.QueryRow(ctx, `
		with prev as (select status, adjudication from bg_status where user_id = $2 and provider_ref = $4)
		insert into bg_status (bg_id, user_id, provider, provider_ref, status, package, adjudication, status_at, adjudication_at)
		values ($1, $2, $3, $4, $5, $6, nullif($7, ''), case when $9 <> '' then $8::timestamptz end,
		        case when $7 <> '' then $8::timestamptz end)
		on conflict (user_id, provider_ref) do update set
		  status = case when excluded.status_at > coalesce(bg_status.status_at, '-infinity') and $9 <> ''
		                then excluded.status else bg_status.status end,
		  status_at = case when excluded.status_at > coalesce(bg_status.status_at, '-infinity') and $9 <> ''
		                then excluded.status_at else bg_status.status_at end,
		  adjudication = case when $7 <> '' and $8::timestamptz > coalesce(bg_status.adjudication_at, '-infinity')
		                then excluded.adjudication else bg_status.adjudication end,
		  adjudication_at = case when $7 <> '' and $8::timestamptz > coalesce(bg_status.adjudication_at, '-infinity')
		                then $8::timestamptz else bg_status.adjudication_at end,
		  package = case when bg_status.package = '' then excluded.package else bg_status.package end,
		  updated_at = now()
		returning (status, adjudication) is distinct from (select (status, adjudication) from prev), status`,
		u.BGID, u.UserID, u.Provider, u.ProviderRef, initial, u.Package, u.Adjudication, u.At, u.Status).Scan(&changed, &status)
	if err != nil {
		return false, "", fmt.Errorf("bg %s/%s: %w", u.UserID, u.ProviderRef, err)
	}
	return changed, status, nil
}

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

// LatestCandidate returns the provider's candidate most recently requested for a user;
// found is false when none was.
func LatestCandidate(ctx context.Context, q Querier, provider, userID string) (candidateID string, found bool, err error) {
	err = q.QueryRow(ctx, `select candidate_id from bg_candidate where user_id = $1 and provider = $2
		order by requested_at desc limit 1`, userID, provider).Scan(&candidateID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("candidate of %s: %w", userID, err)
	}
	return candidateID, true, nil
}
