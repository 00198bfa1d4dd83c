package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// JobLister lists River jobs; *river.Client is one. Trace lists a subject's jobs with
// River's JobList (finding the ids of related events, it reads river_job itself).
type JobLister interface {
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// TraceSources is where a trace reads from.
type TraceSources struct {
	DB              Querier
	Jobs            JobLister
	S3              *s3.Client
	DocsBucket      string
	DocsEnv         string
	DynamoDB        *dynamodb.Client
	TrustCacheTable string
}

// Trace is the timeline of everything the pipeline did for one id.
type Trace struct {
	ID      string              `json:"id"`
	Kind    string              `json:"kind"`    // event, leg, pack, doc, user
	Related map[string][]string `json:"related"` // ids the trace followed, by kind
	Entries []TraceEntry        `json:"entries"`
}

// TraceEntry is one thing that happened.
type TraceEntry struct {
	At      time.Time      `json:"at"`
	Kind    string         `json:"kind"` // inbox, failure, replay, job, leg, pack, s3, sign_event, webhook, outbound, risk_event, idv, bg, social, badge, risk_signal, trust_version, trust_cache
	Ref     string         `json:"ref"`  // the row, job, object or item
	Summary string         `json:"summary"`
	Errors  []string       `json:"errors,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`
	stage   int            // causal order among entries at the same instant
	// after: an entry known to have happened after this instant (an S3 object after
	// the start of the job that wrote it): S3 may give times only to the second.
	after time.Time
}

func (e TraceEntry) sortAt() time.Time {
	if e.At.Before(e.after) {
		return e.after
	}
	return e.At
}

// Stages of the document flow, so entries that share a second (S3 times have a
// coarser clock) are shown in the order they must have happened.
const (
	stageReceived = iota
	stageBuild
	stageRender
	stageUpload
	stageIssued
	stageEnvelope
	stageEnvelopeSent
	stageProvider
	stageSigned
	stageOutbound
)

// ErrTraceNotFound means no table knows the id.
var ErrTraceNotFound = errors.New("no event, leg, pack, document or user has this id")

type tracer struct {
	src  TraceSources
	t    *Trace
	seen map[string]bool
}

func (tr *tracer) add(e TraceEntry) {
	key := e.Kind + "\x00" + e.Ref
	if tr.seen[key] {
		return
	}
	tr.seen[key] = true
	tr.t.Entries = append(tr.t.Entries, e)
}

func (tr *tracer) related(kind, id string) bool {
	if id == "" || slices.Contains(tr.t.Related[kind], id) {
		return false
	}
	tr.t.Related[kind] = append(tr.t.Related[kind], id)
	return true
}

// TraceOf builds the timeline of an event id, leg id, pack id, document id or user id.
func TraceOf(ctx context.Context, src TraceSources, id string) (*Trace, error) {
	tr := &tracer{src: src, t: &Trace{ID: id, Related: map[string][]string{}}, seen: map[string]bool{}}
	kind, err := tr.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	tr.t.Kind = kind
	switch kind {
	case "doc":
		var packID string
		if err := src.DB.QueryRow(ctx, `select pack_id from doc_instance where doc_id = $1`, id).Scan(&packID); err != nil {
			return nil, fmt.Errorf("doc %s: %w", id, err)
		}
		err = tr.pack(ctx, packID, id)
	case "pack":
		err = tr.pack(ctx, id, "")
	case "leg":
		err = tr.leg(ctx, id)
	case "event":
		err = tr.event(ctx, id)
	case "user":
		err = tr.user(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(tr.t.Entries, func(i, j int) bool {
		a, b := tr.t.Entries[i], tr.t.Entries[j]
		if !a.sortAt().Equal(b.sortAt()) {
			return a.sortAt().Before(b.sortAt())
		}
		return a.stage < b.stage
	})
	return tr.t, nil
}

func (tr *tracer) resolve(ctx context.Context, id string) (string, error) {
	var kind string
	err := tr.src.DB.QueryRow(ctx, `
		select k from (
		  select 1 as o, 'doc' as k where exists (select 1 from doc_instance where doc_id = $1)
		  union all select 2, 'pack' where exists (select 1 from doc_pack where pack_id = $1)
		  union all select 3, 'leg' where exists (select 1 from booking_leg where leg_id = $1)
		  union all select 4, 'event' where exists (select 1 from inbox where event_id = $1)
		     or exists (select 1 from message_failure where event_id = $1)
		     or exists (select 1 from ops_action_item where event_id = $1)
		     or exists (select 1 from river_job where args->'event'->>'id' = $1 or args->>'event_id' = $1)
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
		if strings.HasPrefix(id, "usr_") { // a user may exist only in the trust cache
			return "user", nil
		}
		return "", fmt.Errorf("%s: %w", id, ErrTraceNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("trace %s: %w", id, err)
	}
	return kind, nil
}

// event: the inbox row, failures, replays, the event's jobs and what they built.
func (tr *tracer) event(ctx context.Context, id string) error {
	if !tr.related("event", id) {
		return nil
	}
	db := tr.src.DB
	rows, err := db.Query(ctx, `select type, source, queue, message_id, occurred_at, received_at from inbox where event_id = $1`, id)
	if err != nil {
		return fmt.Errorf("inbox %s: %w", id, err)
	}
	for rows.Next() {
		var typ, source, queue, msg string
		var occurred, received time.Time
		if err := rows.Scan(&typ, &source, &queue, &msg, &occurred, &received); err != nil {
			return err
		}
		tr.add(TraceEntry{At: received, Kind: "inbox", Ref: id, stage: stageReceived,
			Summary: fmt.Sprintf("%s %s accepted from %s via %s (message %s, occurred %s)", typ, id, source, queue, msg, occurred.UTC().Format(time.RFC3339))})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.Query(ctx, `select message_id, queue, coalesce(event_type, ''), error_class, error_text, receive_count, first_failed_at, last_failed_at
		from message_failure where event_id = $1`, id)
	if err != nil {
		return fmt.Errorf("failures of %s: %w", id, err)
	}
	for rows.Next() {
		var msg, queue, typ, class, text string
		var n int
		var first, last time.Time
		if err := rows.Scan(&msg, &queue, &typ, &class, &text, &n, &first, &last); err != nil {
			return err
		}
		tr.add(TraceEntry{At: first, Kind: "failure", Ref: msg, stage: stageReceived, Errors: []string{class + ": " + text},
			Summary: fmt.Sprintf("message %s of %s failed on %s: %s (receive %d, last at %s)", msg, id, queue, class, n, last.UTC().Format(time.RFC3339))})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.Query(ctx, `select a.action_id, a.action, a.actor, a.reason, coalesce(a.queue, ''), i.item_id, coalesce(i.new_message_id, ''), i.done_at
		from ops_action_item i join ops_action a using (action_id) where i.event_id = $1`, id)
	if err != nil {
		return fmt.Errorf("replays of %s: %w", id, err)
	}
	for rows.Next() {
		var aid, action, actor, reason, queue, item, newMsg string
		var at time.Time
		if err := rows.Scan(&aid, &action, &actor, &reason, &queue, &item, &newMsg, &at); err != nil {
			return err
		}
		s := fmt.Sprintf("%s %s by %s: message %s of %s (%q)", action, aid, actor, item, queue, reason)
		if newMsg != "" {
			s += ", sent again as message " + newMsg
		}
		tr.add(TraceEntry{At: at, Kind: "replay", Ref: aid + "/" + item, stage: stageReceived, Summary: s})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tr.jobs(ctx, `args->'event'->>'id' = @id or args->>'event_id' = @id`, river.NamedArgs{"id": id}); err != nil {
		return err
	}
	rows, err = db.Query(ctx, `select user_id, kind, occurred_at, recorded_at from risk_event where event_id = $1`, id)
	if err != nil {
		return fmt.Errorf("risk events of %s: %w", id, err)
	}
	for rows.Next() {
		var user, kind string
		var occurred, recorded time.Time
		if err := rows.Scan(&user, &kind, &occurred, &recorded); err != nil {
			return err
		}
		tr.related("user", user)
		tr.add(TraceEntry{At: recorded, Kind: "risk_event", Ref: id + "/" + user, stage: stageBuild,
			Summary: fmt.Sprintf("risk ledger: %s for %s (occurred %s)", kind, user, occurred.UTC().Format(time.RFC3339))})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tr.packsWhere(ctx, `where source_event_id = $1`, id)
}

// packsWhere traces each pack the condition selects.
func (tr *tracer) packsWhere(ctx context.Context, cond string, args ...any) error {
	packs, err := collect(ctx, tr.src.DB, `select pack_id from doc_pack `+cond, args...)
	if err != nil {
		return err
	}
	for _, p := range packs {
		if err := tr.pack(ctx, p, ""); err != nil {
			return err
		}
	}
	return nil
}

// leg: the leg, its events (through their jobs), its packs and ledger rows.
func (tr *tracer) leg(ctx context.Context, id string) error {
	if !tr.related("leg", id) {
		return nil
	}
	db := tr.src.DB
	var booking string
	var city *string
	var created time.Time
	var cancelled *time.Time
	err := db.QueryRow(ctx, `select booking_id, city, created_at, cancelled_at from booking_leg where leg_id = $1`, id).Scan(&booking, &city, &created, &cancelled)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("leg %s: %w", id, err)
	}
	if err == nil {
		tr.add(TraceEntry{At: created, Kind: "leg", Ref: id, stage: stageBuild, Summary: fmt.Sprintf("leg %s of booking %s recorded (city %s)", id, booking, deref(city))})
		if cancelled != nil {
			tr.add(TraceEntry{At: *cancelled, Kind: "leg", Ref: id + "/cancelled", stage: stageBuild, Summary: fmt.Sprintf("leg %s cancelled", id)})
		}
	}
	evs, err := collect(ctx, db, `select distinct args->'event'->>'id' from river_job where args->'event'->'data'->>'leg_id' = $1
		union select event_id from risk_event where leg_id = $1`, id)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if err := tr.event(ctx, e); err != nil {
			return err
		}
	}
	return tr.packsWhere(ctx, `where leg_id = $1 order by created_at`, id)
}

// pack: the pack, the event that built it, and each document's (or only onlyDoc's)
// jobs, objects, evidence and provider events, then the pack's outbound events.
func (tr *tracer) pack(ctx context.Context, id, onlyDoc string) error {
	if !tr.related("pack", id) {
		return nil
	}
	db := tr.src.DB
	var leg, status, source, failure string
	var created, updated time.Time
	err := db.QueryRow(ctx, `select leg_id, status, coalesce(source_event_id, ''), coalesce(failure, ''), created_at, updated_at
		from doc_pack where pack_id = $1`, id).Scan(&leg, &status, &source, &failure, &created, &updated)
	if err != nil {
		return fmt.Errorf("pack %s: %w", id, err)
	}
	tr.related("leg", leg)
	summary := fmt.Sprintf("pack %s built (draft) for leg %s", id, leg)
	var errs []string
	if failure != "" {
		errs = []string{failure}
		summary = fmt.Sprintf("pack %s failed for leg %s: no documents", id, leg)
	}
	tr.add(TraceEntry{At: created, Kind: "pack", Ref: id, stage: stageBuild, Summary: summary, Errors: errs})
	if status != "draft" {
		tr.add(packStatusEntry(id, status, updated))
	}
	if source != "" {
		if err := tr.event(ctx, source); err != nil {
			return err
		}
	}
	docs := []string{onlyDoc}
	if onlyDoc == "" {
		if docs, err = PackDocIDs(ctx, db, id); err != nil {
			return err
		}
	}
	var objects []objectInfo
	if tr.src.S3 != nil {
		if objects, err = listObjects(ctx, tr.src.S3, tr.src.DocsBucket, fmt.Sprintf("%s/packs/%s/", tr.src.DocsEnv, id)); err != nil {
			return err
		}
	}
	for _, d := range docs {
		if err := tr.doc(ctx, d, objects); err != nil {
			return err
		}
	}
	outbound, err := tr.jobs(ctx, `kind = 'publish_event' and args->'event'->'data'->>'pack_id' = @pack`, river.NamedArgs{"pack": id})
	// Each status change of the pack queued its announcement in the same transaction:
	// the job's creation is when the pack changed.
	for _, j := range outbound {
		var a struct {
			Event struct{ Type string } `json:"event"`
		}
		_ = json.Unmarshal(j.EncodedArgs, &a)
		if status, ok := strings.CutPrefix(a.Event.Type, "doc_pack."); ok {
			tr.add(packStatusEntry(id, status, j.CreatedAt))
		}
	}
	return err
}

// packStatusEntry is a pack reaching a status other than draft.
func packStatusEntry(id, status string, at time.Time) TraceEntry {
	st := map[string]int{"issued": stageIssued, "signed": stageSigned}[status]
	if st == 0 {
		st = stageOutbound
	}
	return TraceEntry{At: at, Kind: "pack", Ref: id + "/" + status, stage: st, Summary: fmt.Sprintf("pack %s %s", id, status),
		Detail: map[string]any{"status": status}}
}

type objectInfo struct {
	Key      string
	Modified time.Time
	Size     int64
}

func listObjects(ctx context.Context, client *s3.Client, bucket, prefix string) ([]objectInfo, error) {
	var out []objectInfo
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, objectInfo{Key: aws.ToString(o.Key), Modified: aws.ToTime(o.LastModified), Size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

func (tr *tracer) doc(ctx context.Context, id string, objects []objectInfo) error {
	if !tr.related("doc", id) {
		return nil
	}
	db := tr.src.DB
	var sha, envelope, envStatus string
	if err := db.QueryRow(ctx, `select coalesce(render_pdf_sha256, ''), coalesce(envelope_id, ''), coalesce(envelope_status, 'none')
		from doc_instance where doc_id = $1`, id).Scan(&sha, &envelope, &envStatus); err != nil {
		return fmt.Errorf("doc %s: %w", id, err)
	}
	jobs, err := tr.jobs(ctx, `args->>'doc_id' = @doc`, river.NamedArgs{"doc": id})
	if err != nil {
		return err
	}
	started := map[string]time.Time{} // job kind -> first attempt
	for _, j := range jobs {
		if j.AttemptedAt != nil && (started[j.Kind].IsZero() || j.AttemptedAt.Before(started[j.Kind])) {
			started[j.Kind] = *j.AttemptedAt
		}
	}
	for _, o := range objects {
		name := o.Key[strings.LastIndexByte(o.Key, '/')+1:]
		if !strings.Contains(name, id) {
			continue
		}
		st, detail, after := stageUpload, map[string]any{"bytes": o.Size}, started["render_document"]
		switch {
		case strings.HasPrefix(name, "envelope_"):
			st, after = stageEnvelope, started["send_envelope"]
			detail["envelope_id"] = envelope
		case strings.HasSuffix(name, ".pdf"):
			detail["sha256"] = sha
		}
		tr.add(TraceEntry{At: o.Modified, Kind: "s3", Ref: "s3://" + tr.src.DocsBucket + "/" + o.Key, stage: st, Detail: detail, after: after,
			Summary: fmt.Sprintf("stored s3://%s/%s (%d bytes)", tr.src.DocsBucket, o.Key, o.Size)})
	}
	rows, err := db.Query(ctx, `select sign_event_id, event, actor_role, coalesce(actor_user_id, ''), seq, created_at
		from doc_sign_event where doc_id = $1 order by seq nulls first, created_at`, id)
	if err != nil {
		return fmt.Errorf("sign events of %s: %w", id, err)
	}
	for rows.Next() {
		var sid, event, role, user string
		var seq *int
		var at time.Time
		if err := rows.Scan(&sid, &event, &role, &user, &seq, &at); err != nil {
			return err
		}
		st := stageProvider
		if event == "envelope_sent" {
			st = stageEnvelopeSent
		}
		who := role
		if user != "" {
			who += " " + user
		}
		tr.add(TraceEntry{At: at, Kind: "sign_event", Ref: sid, stage: st, Detail: map[string]any{"event": event, "seq": seq, "doc_id": id},
			Summary: fmt.Sprintf("evidence #%d on %s: %s by %s", derefInt(seq), id, event, who)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	receipts, err := tr.webhooks(ctx, id)
	if err != nil {
		return err
	}
	if len(receipts) > 0 {
		_, err = tr.jobs(ctx, `kind = 'handle_webhook' and args->'event'->'data'->>'receipt_id' = any(@receipts)`, river.NamedArgs{"receipts": receipts})
		return err
	}
	return nil
}

// webhooks adds the provider events recorded for a subject and returns their receipts.
func (tr *tracer) webhooks(ctx context.Context, subject string) ([]string, error) {
	rows, err := tr.src.DB.Query(ctx, `select dedupe_key, provider, event_type, receipt_id, outcome, received_at, recorded_at
		from webhook_event where subject = $1`, subject)
	if err != nil {
		return nil, fmt.Errorf("webhook events: %w", err)
	}
	var receipts []string
	for rows.Next() {
		var key, provider, typ, receipt, outcome string
		var received, recorded time.Time
		if err := rows.Scan(&key, &provider, &typ, &receipt, &outcome, &received, &recorded); err != nil {
			return nil, err
		}
		receipts = append(receipts, receipt)
		tr.add(TraceEntry{At: recorded, Kind: "webhook", Ref: key, stage: stageProvider,
			Summary: fmt.Sprintf("%s %s (receipt %s, received %s): %s", provider, typ, receipt, received.UTC().Format(time.RFC3339), outcome)})
	}
	return receipts, rows.Err()
}

// jobs adds the River jobs matching a condition on river_job, read with River's JobList.
func (tr *tracer) jobs(ctx context.Context, where string, args river.NamedArgs) ([]*rivertype.JobRow, error) {
	if tr.src.Jobs == nil {
		return nil, nil
	}
	params := river.NewJobListParams().Where(where, args).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1000)
	res, err := tr.src.Jobs.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	for _, j := range res.Jobs {
		tr.add(jobEntry(j))
	}
	return res.Jobs, nil
}

var jobStage = map[string]int{
	"build_doc_pack": stageBuild, "end_doc_pack": stageBuild, "record_risk_event": stageBuild, "render_document": stageRender,
	"send_envelope": stageEnvelope, "handle_webhook": stageProvider, "apply_identity": stageProvider,
}

func jobEntry(j *rivertype.JobRow) TraceEntry {
	at := j.CreatedAt
	if j.AttemptedAt != nil {
		at = *j.AttemptedAt
	}
	if len(j.Errors) > 0 && j.Errors[0].At.Before(at) {
		at = j.Errors[0].At // attempted_at is the last attempt's start
	}
	e := TraceEntry{At: at, Kind: "job", Ref: fmt.Sprintf("job %d", j.ID), stage: jobStage[j.Kind],
		Detail: map[string]any{"job_id": j.ID, "kind": j.Kind, "state": string(j.State), "attempt": j.Attempt, "max_attempts": j.MaxAttempts}}
	for _, ae := range j.Errors {
		e.Errors = append(e.Errors, fmt.Sprintf("attempt %d at %s: %s", ae.Attempt, ae.At.UTC().Format(time.RFC3339), firstLine(ae.Error)))
	}
	done := ""
	if j.FinalizedAt != nil && j.AttemptedAt != nil {
		done = fmt.Sprintf(" in %s", j.FinalizedAt.Sub(*j.AttemptedAt).Round(time.Millisecond))
	}
	e.Summary = fmt.Sprintf("%s job %d %s after %d attempt(s)%s", j.Kind, j.ID, j.State, j.Attempt, done)
	if j.Kind == "publish_event" {
		var a struct {
			Event struct {
				ID, Type string
			} `json:"event"`
		}
		_ = json.Unmarshal(j.EncodedArgs, &a)
		e.Kind, e.stage = "outbound", stageOutbound
		if j.FinalizedAt != nil && j.State == rivertype.JobStateCompleted {
			e.At = *j.FinalizedAt
		}
		e.Detail["event_type"], e.Detail["event_id"] = a.Event.Type, a.Event.ID
		verb := "published"
		if j.State != rivertype.JobStateCompleted {
			verb = "not yet published (" + string(j.State) + ")"
		}
		e.Summary = fmt.Sprintf("%s %s %s to pipeline-events (job %d, %d attempt(s))", a.Event.Type, a.Event.ID, verb, j.ID, j.Attempt)
	}
	return e
}

// user: what exists today for a user — identity, background checks, social
// verification, badges, risk snapshots and ledger, evidence they signed, and the trust
// cache item.
func (tr *tracer) user(ctx context.Context, id string) error {
	if !tr.related("user", id) {
		return nil
	}
	db := tr.src.DB
	type q struct {
		kind, sql string
	}
	for _, s := range []q{
		{"idv", `select idv_id, created_at, format('identity %s via %s (%s): %s, age verified %s, updated %s', idv_id, provider, provider_ref, status, age_verified, updated_at) from idv_status where user_id = $1`},
		{"bg", `select bg_id, created_at, format('background check %s via %s (%s, package %s): %s%s, updated %s', bg_id, provider, provider_ref, package, status, coalesce(', ' || adjudication, ''), updated_at) from bg_status where user_id = $1`},
		{"social", `select soc_id, coalesce(last_checked_at, 'epoch'), format('social %s @%s: verified %s', platform, handle, verified) from social_verification where user_id = $1`},
		{"badge", `select badge_id, issued_at, format('badge %s issued from %s%s', kind, coalesce(source_id, '-'), coalesce(', expires ' || expires_at, '')) from trust_badge where user_id = $1`},
		{"risk_signal", `select signal_id, computed_at, format('risk window %s: score %s (disputes %s, refunds %s, cancellations %s, late %s, charge failures %s, bad clicks %s)', "window", score, disputes_opened, refunds_asked, cancellations, late_delivery, charge_failures, bad_clicks) from trust_risk_signal where user_id = $1`},
		{"badge", `select badge_id || '/revoked', revoked_at, format('badge %s revoked: %s', kind, revoked_reason) from trust_badge where user_id = $1 and revoked_at is not null`},
		{"trust_version", `select user_id, changed_at, format('trust version %s (PostgreSQL; the cache item must carry it)', version) from trust_user where user_id = $1`},
		{"risk_event", `select event_id || '/' || user_id, recorded_at, format('risk ledger: %s from event %s (occurred %s)', kind, event_id, occurred_at) from risk_event where user_id = $1`},
	} {
		rows, err := db.Query(ctx, s.sql, id)
		if err != nil {
			return fmt.Errorf("%s of %s: %w", s.kind, id, err)
		}
		for rows.Next() {
			var ref, summary string
			var at time.Time
			if err := rows.Scan(&ref, &at, &summary); err != nil {
				return err
			}
			tr.add(TraceEntry{At: at, Kind: s.kind, Ref: ref, stage: stageBuild, Summary: summary})
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	rows, err := db.Query(ctx, `select sign_event_id, doc_id, event, actor_role, created_at from doc_sign_event where actor_user_id = $1`, id)
	if err != nil {
		return fmt.Errorf("evidence of %s: %w", id, err)
	}
	for rows.Next() {
		var sid, doc, event, role string
		var at time.Time
		if err := rows.Scan(&sid, &doc, &event, &role, &at); err != nil {
			return err
		}
		tr.related("doc", doc)
		tr.add(TraceEntry{At: at, Kind: "sign_event", Ref: sid, stage: stageProvider, Summary: fmt.Sprintf("%s on %s as %s", event, doc, role)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tr.webhooks(ctx, id); err != nil {
		return err
	}
	if _, err := tr.jobs(ctx, `args->'update'->>'user_id' = @user or args->'user_ids' ? @user or args->>'user_id' = @user
		or args->'check'->>'user_id' = @user or args->'request'->>'user_id' = @user`, river.NamedArgs{"user": id}); err != nil {
		return err
	}
	if tr.src.DynamoDB != nil {
		item, found, err := GetTrustCache(ctx, tr.src.DynamoDB, tr.src.TrustCacheTable, id)
		if err != nil {
			return err
		}
		if found {
			score := "insufficient data"
			if item.RiskScore != nil {
				score = fmt.Sprint(*item.RiskScore)
			}
			tr.add(TraceEntry{At: item.ComputedAt, Kind: "trust_cache", Ref: fmt.Sprintf("%s v%d", id, item.Version), stage: stageOutbound,
				Summary: fmt.Sprintf("trust cache v%d: idv %t, age %t, trusted pro %t, social %t, risk %s %s, badges %v, valid until %s",
					item.Version, item.IDVPassed, item.AgeVerified, item.TrustedPro, item.SocialVerified, score, item.RiskWindow, item.Badges,
					item.ValidUntil.UTC().Format(time.RFC3339)),
				Detail: map[string]any{"item": item}})
		}
	}
	if len(tr.t.Entries) == 0 {
		return fmt.Errorf("%s: %w", id, ErrTraceNotFound)
	}
	return nil
}

func collect(ctx context.Context, q Querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[*string])
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	var ids []string
	for _, s := range out {
		if s != nil && *s != "" {
			ids = append(ids, *s)
		}
	}
	return ids, nil
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func derefInt(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
