package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The reads behind `pipelinectl trace` (trace/): one function per table family, each
// returning rows for the trace to turn into its timeline.

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

// InboxRow is an event's inbox row.
type InboxRow struct {
	Type, Source, Queue, MessageID string
	OccurredAt, ReceivedAt         time.Time
}

// InboxRows returns the inbox rows of an event (one, or none).
func InboxRows(ctx context.Context, q Querier, eventID string) ([]InboxRow, error) {
	rows, err := q.Query(ctx, `select type, source, queue, message_id, occurred_at, received_at from inbox where event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("inbox %s: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[InboxRow])
}

// FailuresOfEvent returns the recorded failures of an event's messages.
func FailuresOfEvent(ctx context.Context, q Querier, eventID string) ([]MessageFailure, error) {
	rows, err := q.Query(ctx, `select message_id, queue, coalesce(event_id, ''), coalesce(event_type, ''), error_class, error_text,
		receive_count, first_failed_at, last_failed_at from message_failure where event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("failures of %s: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[MessageFailure])
}

// OpsEntry is one message of an event an operator action touched.
type OpsEntry struct {
	ActionID, Action, Actor, Reason, Queue, ItemID, NewMessageID string
	DoneAt                                                       time.Time
}

// OpsOfEvent returns the operator actions (replays, purges) on an event's messages.
func OpsOfEvent(ctx context.Context, q Querier, eventID string) ([]OpsEntry, error) {
	rows, err := q.Query(ctx, `select a.action_id, a.action, a.actor, a.reason, coalesce(a.queue, ''), i.item_id,
		coalesce(i.new_message_id, ''), i.done_at
		from ops_action_item i join ops_action a using (action_id) where i.event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("replays of %s: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OpsEntry])
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

// Pack is a doc_pack row.
type Pack struct {
	PackID, LegID, Status, SourceEventID, Failure string
	CreatedAt, UpdatedAt                          time.Time
}

// PackByID returns a pack.
func PackByID(ctx context.Context, q Querier, packID string) (Pack, error) {
	var p Pack
	err := q.QueryRow(ctx, `select pack_id, leg_id, status, coalesce(source_event_id, ''), coalesce(failure, ''), created_at, updated_at
		from doc_pack where pack_id = $1`, packID).Scan(&p.PackID, &p.LegID, &p.Status, &p.SourceEventID, &p.Failure, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("pack %s: %w", packID, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("pack %s: %w", packID, err)
	}
	return p, nil
}

// PackIDs returns the packs built from an event or of a leg (one of them set), oldest
// first.
func PackIDs(ctx context.Context, q Querier, sourceEventID, legID string) ([]string, error) {
	rows, err := q.Query(ctx, `select pack_id from doc_pack where ($1 <> '' and source_event_id = $1) or ($2 <> '' and leg_id = $2)
		order by created_at, pack_id`, sourceEventID, legID)
	if err != nil {
		return nil, fmt.Errorf("packs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// SignEventRow is one evidence row as the trace shows it.
type SignEventRow struct {
	SignEventID, DocID, Event, ActorRole, ActorUserID string
	Seq                                               *int
	CreatedAt                                         time.Time
}

// SignEventsOf returns the evidence rows of a document, or signed by a user (one of them
// set), in chain order.
func SignEventsOf(ctx context.Context, q Querier, docID, actorUserID string) ([]SignEventRow, error) {
	rows, err := q.Query(ctx, `select sign_event_id, doc_id, event, actor_role, coalesce(actor_user_id, ''), seq, created_at
		from doc_sign_event where ($1 <> '' and doc_id = $1) or ($2 <> '' and actor_user_id = $2)
		order by doc_id, seq nulls first, created_at`, docID, actorUserID)
	if err != nil {
		return nil, fmt.Errorf("sign events: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SignEventRow])
}

// WebhookRow is one recorded provider event.
type WebhookRow struct {
	DedupeKey, Provider, EventType, ReceiptID, Outcome string
	ReceivedAt, RecordedAt                             time.Time
}

// WebhooksOf returns the provider events recorded for a subject (a document or a user).
func WebhooksOf(ctx context.Context, q Querier, subject string) ([]WebhookRow, error) {
	rows, err := q.Query(ctx, `select dedupe_key, provider, event_type, receipt_id, outcome, received_at, recorded_at
		from webhook_event where subject = $1 order by recorded_at`, subject)
	if err != nil {
		return nil, fmt.Errorf("webhook events of %s: %w", subject, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[WebhookRow])
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

// CandidatesOf returns the background-check candidates mapped to a user.
func CandidatesOf(ctx context.Context, q Querier, userID string) ([]string, error) {
	rows, err := q.Query(ctx, `select candidate_id from bg_candidate where user_id = $1 order by requested_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("candidates of %s: %w", userID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
