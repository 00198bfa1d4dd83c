package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The reads behind `pipelinectl trace` (trace/) that span several table families.

// Kinds of id ResolveID finds, in the order it looks.
const (
	IDDoc   = "doc"
	IDPack  = "pack"
	IDLeg   = "leg"
	IDEvent = "event"
	IDUser  = "user"
)

// ResolveID says what an id names in PostgreSQL (a document, pack, leg, event or user,
// in that order); found is false when no table knows it. Jobs are not looked at: the
// trace asks River for those.
func ResolveID(ctx context.Context, q Querier, id string) (kind string, found bool, err error) {
	err = q.QueryRow(ctx, `
		select k from (
		  select 1 as o, 'doc' as k where exists (select 1 from doc_instance where doc_id = $1)
		  union all select 2, 'pack' where exists (select 1 from doc_pack where pack_id = $1)
		  union all select 3, 'leg' where exists (select 1 from booking_leg where leg_id = $1)
		  union all select 4, 'event' where exists (select 1 from inbox where event_id = $1)
		     or exists (select 1 from message_failure where event_id = $1)
		     or exists (select 1 from ops_action_item where event_id = $1)
		  union all select 5, 'user' where exists (select 1 from idv_status where user_id = $1)
		     or exists (select 1 from bg_status where user_id = $1)
		     or exists (select 1 from social_verification where user_id = $1)
		     or exists (select 1 from trust_badge where user_id = $1)
		     or exists (select 1 from trust_risk_signal where user_id = $1)
		     or exists (select 1 from trust_user where user_id = $1)
		     or exists (select 1 from risk_event where user_id = $1)
		     or exists (select 1 from doc_sign_event where actor_user_id = $1)
		) r order by o limit 1`, id).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("resolve %s: %w", id, err)
	}
	return kind, true, nil
}

// TrustRow is one row of a user's trust state, summarised for the trace.
type TrustRow struct {
	Kind, Ref string // idv, bg, social, badge, risk_signal, trust_version
	At        time.Time
	Summary   string
}

// TrustRowsOf returns what exists for a user in the trust tables: identity sessions,
// background checks, platform checks, badges (and their revocations), risk snapshots
// and the trust version.
func TrustRowsOf(ctx context.Context, q Querier, userID string) ([]TrustRow, error) {
	var out []TrustRow
	for _, s := range []struct{ kind, sql string }{
		{"idv", `select idv_id, created_at, format('identity %s via %s (%s): %s, age verified %s, updated %s', idv_id, provider, provider_ref, status, age_verified, updated_at) from idv_status where user_id = $1`},
		{"bg", `select bg_id, created_at, format('background check %s via %s (%s, package %s): %s%s, updated %s', bg_id, provider, provider_ref, package, status, coalesce(', ' || adjudication, ''), updated_at) from bg_status where user_id = $1`},
		{"social", `select soc_id, coalesce(last_checked_at, 'epoch'), format('social %s @%s: verified %s', platform, handle, verified) from social_verification where user_id = $1`},
		{"badge", `select badge_id, issued_at, format('badge %s issued from %s%s', kind, coalesce(source_id, '-'), coalesce(', expires ' || expires_at, '')) from trust_badge where user_id = $1`},
		{"risk_signal", `select signal_id, computed_at, format('risk window %s: score %s (disputes %s, refunds %s, cancellations %s, late %s, charge failures %s, bad clicks %s)', "window", score, disputes_opened, refunds_asked, cancellations, late_delivery, charge_failures, bad_clicks) from trust_risk_signal where user_id = $1`},
		{"badge", `select badge_id || '/revoked', revoked_at, format('badge %s revoked: %s', kind, revoked_reason) from trust_badge where user_id = $1 and revoked_at is not null`},
		{"trust_version", `select user_id, changed_at, format('trust version %s (PostgreSQL; the cache item must carry it)', version) from trust_user where user_id = $1`},
	} {
		rows, err := q.Query(ctx, s.sql, userID)
		if err != nil {
			return nil, fmt.Errorf("%s of %s: %w", s.kind, userID, err)
		}
		for rows.Next() {
			r := TrustRow{Kind: s.kind}
			if err := rows.Scan(&r.Ref, &r.At, &r.Summary); err != nil {
				return nil, fmt.Errorf("%s of %s: %w", s.kind, userID, err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("%s of %s: %w", s.kind, userID, err)
		}
	}
	return out, nil
}
