package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CandidatesOf returns the background-check candidates mapped to a user.
func CandidatesOf(ctx context.Context, q Querier, userID string) ([]string, error) {
	rows, err := q.Query(ctx, `select candidate_id from bg_candidate where user_id = $1 order by requested_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("candidates of %s: %w", userID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
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
