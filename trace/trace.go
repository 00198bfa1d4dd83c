// Package trace is the operator's read model: the timeline of everything the pipeline
// did for an event, leg, pack, document or user (`pipelinectl trace`). It reads
// PostgreSQL through store/, River jobs through River's own JobList by the ids each job
// carries in its metadata (jobmeta), S3 objects through docstore/ and the trust_cache
// item through trustcache/. Job kinds and key layouts come from the packages that own
// them, so the trace cannot drift from what they write.
package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/trust"
	"trustdocs/webhook"
	"trustdocs/workers"
)

// JobLister lists River jobs; *river.Client is one.
type JobLister interface {
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// Objects lists a pack's S3 objects; docstore.Store is one.
type Objects interface {
	ListPack(ctx context.Context, packID string) ([]docstore.Object, error)
	URI(key string) string
}

// CacheReader reads a user's trust_cache item; trustcache.Table is one.
type CacheReader interface {
	Get(ctx context.Context, userID string) (trust.CacheItem, bool, error)
}

// Sources is where a trace reads from; nil Jobs, Docs or Cache leave that part out.
type Sources struct {
	DB    store.Querier
	Jobs  JobLister
	Docs  Objects
	Cache CacheReader
}

// Trace is the timeline of everything the pipeline did for one id.
type Trace struct {
	ID      string              `json:"id"`
	Kind    string              `json:"kind"`    // event, leg, pack, doc, user
	Related map[string][]string `json:"related"` // ids the trace followed, by kind
	Entries []Entry             `json:"entries"`
}

// Entry is one thing that happened.
type Entry struct {
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

func (e Entry) sortAt() time.Time {
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

// ErrNotFound means nothing the pipeline keeps knows the id.
var ErrNotFound = errors.New("no event, leg, pack, document or user has this id")

type tracer struct {
	src  Sources
	t    *Trace
	seen map[string]bool
}

func (tr *tracer) add(e Entry) {
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

// Of builds the timeline of an event id, leg id, pack id, document id or user id.
func Of(ctx context.Context, src Sources, id string) (*Trace, error) {
	tr := &tracer{src: src, t: &Trace{ID: id, Related: map[string][]string{}}, seen: map[string]bool{}}
	kind, err := tr.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	tr.t.Kind = kind
	switch kind {
	case store.IDDoc:
		var d store.Doc
		if d, err = store.DocByID(ctx, src.DB, id); err == nil {
			err = tr.pack(ctx, d.PackID, id)
		}
	case store.IDPack:
		err = tr.pack(ctx, id, "")
	case store.IDLeg:
		err = tr.leg(ctx, id)
	case store.IDEvent:
		err = tr.event(ctx, id)
	case store.IDUser:
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
	kind, found, err := store.ResolveID(ctx, tr.src.DB, id)
	if err != nil || found {
		return kind, err
	}
	// An event may be known only to its jobs (the inbox row of a replayed copy is the
	// original's).
	if tr.src.Jobs != nil {
		res, err := tr.src.Jobs.JobList(ctx, river.NewJobListParams().Metadata(jobmeta.Meta{EventID: id}.JSON()).First(1))
		if err != nil {
			return "", fmt.Errorf("trace %s: %w", id, err)
		}
		if len(res.Jobs) > 0 {
			return store.IDEvent, nil
		}
	}
	if strings.HasPrefix(id, "usr_") { // a user may exist only in the trust cache
		return store.IDUser, nil
	}
	return "", fmt.Errorf("%s: %w", id, ErrNotFound)
}

// event: the inbox row, failures, replays, the event's jobs and what they built.
func (tr *tracer) event(ctx context.Context, id string) error {
	if !tr.related("event", id) {
		return nil
	}
	db := tr.src.DB
	inbox, err := store.InboxRows(ctx, db, id)
	if err != nil {
		return err
	}
	for _, r := range inbox {
		tr.add(Entry{At: r.ReceivedAt, Kind: "inbox", Ref: id, stage: stageReceived,
			Summary: fmt.Sprintf("%s %s accepted from %s via %s (message %s, occurred %s)", r.Type, id, r.Source, r.Queue, r.MessageID, r.OccurredAt.UTC().Format(time.RFC3339))})
	}
	failures, err := store.FailuresOfEvent(ctx, db, id)
	if err != nil {
		return err
	}
	for _, f := range failures {
		tr.add(Entry{At: f.FirstFailedAt, Kind: "failure", Ref: f.MessageID, stage: stageReceived, Errors: []string{f.ErrorClass + ": " + f.ErrorText},
			Summary: fmt.Sprintf("message %s of %s failed on %s: %s (receive %d, last at %s)", f.MessageID, id, f.Queue, f.ErrorClass, f.ReceiveCount, f.LastFailedAt.UTC().Format(time.RFC3339))})
	}
	ops, err := store.OpsOfEvent(ctx, db, id)
	if err != nil {
		return err
	}
	for _, o := range ops {
		s := fmt.Sprintf("%s %s by %s: message %s of %s (%q)", o.Action, o.ActionID, o.Actor, o.ItemID, o.Queue, o.Reason)
		if o.NewMessageID != "" {
			s += ", sent again as message " + o.NewMessageID
		}
		tr.add(Entry{At: o.DoneAt, Kind: "replay", Ref: o.ActionID + "/" + o.ItemID, stage: stageReceived, Summary: s})
	}
	if _, err := tr.jobs(ctx, jobmeta.Meta{EventID: id}); err != nil {
		return err
	}
	ledger, err := store.LedgerOf(ctx, db, id, "", "")
	if err != nil {
		return err
	}
	for _, r := range ledger {
		tr.related("user", r.UserID)
		tr.add(ledgerEntry(r))
	}
	packs, err := store.PackIDs(ctx, db, id, "")
	if err != nil {
		return err
	}
	return tr.packs(ctx, packs)
}

func ledgerEntry(r store.LedgerRow) Entry {
	return Entry{At: r.RecordedAt, Kind: "risk_event", Ref: r.EventID + "/" + r.UserID, stage: stageBuild,
		Summary: fmt.Sprintf("risk ledger: %s for %s from event %s (occurred %s)", r.Kind, r.UserID, r.EventID, r.OccurredAt.UTC().Format(time.RFC3339))}
}

func (tr *tracer) packs(ctx context.Context, ids []string) error {
	for _, p := range ids {
		if err := tr.pack(ctx, p, ""); err != nil {
			return err
		}
	}
	return nil
}

// leg: the leg, its events (through their jobs and ledger rows), its packs.
func (tr *tracer) leg(ctx context.Context, id string) error {
	if !tr.related("leg", id) {
		return nil
	}
	db := tr.src.DB
	l, found, err := store.LegByID(ctx, db, id)
	if err != nil {
		return err
	}
	if found {
		tr.add(Entry{At: l.CreatedAt, Kind: "leg", Ref: id, stage: stageBuild, Summary: fmt.Sprintf("leg %s of booking %s recorded (city %s)", id, l.BookingID, l.City)})
		if l.CancelledAt != nil {
			tr.add(Entry{At: *l.CancelledAt, Kind: "leg", Ref: id + "/cancelled", stage: stageBuild, Summary: fmt.Sprintf("leg %s cancelled", id)})
		}
	}
	jobs, err := tr.jobs(ctx, jobmeta.Meta{LegID: id})
	if err != nil {
		return err
	}
	var evs []string
	for _, j := range jobs {
		evs = append(evs, jobmeta.Of(j.Metadata).EventID)
	}
	ledger, err := store.LedgerOf(ctx, db, "", id, "")
	if err != nil {
		return err
	}
	for _, r := range ledger {
		evs = append(evs, r.EventID)
	}
	for _, e := range evs {
		if e == "" {
			continue
		}
		if err := tr.event(ctx, e); err != nil {
			return err
		}
	}
	packs, err := store.PackIDs(ctx, db, "", id)
	if err != nil {
		return err
	}
	return tr.packs(ctx, packs)
}

// pack: the pack, the event that built it, and each document's (or only onlyDoc's)
// jobs, objects, evidence and provider events, then the pack's outbound events.
func (tr *tracer) pack(ctx context.Context, id, onlyDoc string) error {
	if !tr.related("pack", id) {
		return nil
	}
	db := tr.src.DB
	p, err := store.PackByID(ctx, db, id)
	if err != nil {
		return err
	}
	tr.related("leg", p.LegID)
	summary := fmt.Sprintf("pack %s built (draft) for leg %s", id, p.LegID)
	var errs []string
	if p.Failure != "" {
		errs = []string{p.Failure}
		summary = fmt.Sprintf("pack %s failed for leg %s: no documents", id, p.LegID)
	}
	tr.add(Entry{At: p.CreatedAt, Kind: "pack", Ref: id, stage: stageBuild, Summary: summary, Errors: errs})
	if p.Status != "draft" {
		tr.add(packStatusEntry(id, p.Status, p.UpdatedAt))
	}
	if p.SourceEventID != "" {
		if err := tr.event(ctx, p.SourceEventID); err != nil {
			return err
		}
	}
	docs := []string{onlyDoc}
	if onlyDoc == "" {
		if docs, err = store.PackDocIDs(ctx, db, id); err != nil {
			return err
		}
	}
	var objects []docstore.Object
	if tr.src.Docs != nil {
		if objects, err = tr.src.Docs.ListPack(ctx, id); err != nil {
			return err
		}
	}
	for _, d := range docs {
		if err := tr.doc(ctx, d, objects); err != nil {
			return err
		}
	}
	outbound, err := tr.jobs(ctx, jobmeta.Meta{PackID: id}, workers.PublishEventArgs{}.Kind())
	// Each status change of the pack queued its announcement in the same transaction:
	// the job's creation is when the pack changed.
	for _, j := range outbound {
		var a workers.PublishEventArgs
		_ = json.Unmarshal(j.EncodedArgs, &a)
		if status, ok := events.DocPackStatus(a.Event.Type); ok {
			tr.add(packStatusEntry(id, status, j.CreatedAt))
		}
	}
	return err
}

// packStatusEntry is a pack reaching a status other than draft.
func packStatusEntry(id, status string, at time.Time) Entry {
	st := map[string]int{"issued": stageIssued, "signed": stageSigned}[status]
	if st == 0 {
		st = stageOutbound
	}
	return Entry{At: at, Kind: "pack", Ref: id + "/" + status, stage: st, Summary: fmt.Sprintf("pack %s %s", id, status),
		Detail: map[string]any{"status": status}}
}

func (tr *tracer) doc(ctx context.Context, id string, objects []docstore.Object) error {
	if !tr.related("doc", id) {
		return nil
	}
	db := tr.src.DB
	d, err := store.DocByID(ctx, db, id)
	if err != nil {
		return err
	}
	jobs, err := tr.jobs(ctx, jobmeta.Meta{DocID: id})
	if err != nil {
		return err
	}
	// A checkout's documents are rendered and stored by its pack's build job (an
	// amendment's, by a render job each).
	built, err := tr.jobs(ctx, jobmeta.Meta{PackID: d.PackID}, workers.BuildDocPackArgs{}.Kind())
	if err != nil {
		return err
	}
	started := map[string]time.Time{} // job kind -> first attempt
	for _, j := range append(jobs, built...) {
		if j.AttemptedAt != nil && (started[j.Kind].IsZero() || j.AttemptedAt.Before(started[j.Kind])) {
			started[j.Kind] = *j.AttemptedAt
		}
	}
	for _, o := range objects {
		kind, doc := docstore.KindOf(o.Key)
		if doc != id {
			continue
		}
		renderedAt := started[workers.RenderDocumentArgs{}.Kind()]
		if renderedAt.IsZero() {
			renderedAt = started[workers.BuildDocPackArgs{}.Kind()]
		}
		st, detail, after := stageUpload, map[string]any{"bytes": o.Size}, renderedAt
		uri := tr.src.Docs.URI(o.Key)
		summary := fmt.Sprintf("stored %s (%d bytes)", uri, o.Size)
		switch kind {
		case docstore.KindEnvelope:
			st, after = stageEnvelope, started[workers.SendEnvelopeArgs{}.Kind()]
			detail["envelope_id"] = d.EnvelopeID
		case docstore.KindPDF:
			if d.RenderSHA256 != nil {
				detail["sha256"] = *d.RenderSHA256
			}
		case docstore.KindSigned, docstore.KindCertificate:
			st, after = stageSigned, started[workers.StoreExecutedCopyArgs{}.Kind()]
			if sha := map[string]*string{docstore.KindSigned: d.SignedSHA256, docstore.KindCertificate: d.CertSHA256}[kind]; sha != nil {
				detail["sha256"] = *sha
			}
		case docstore.KindEvidence:
			// The evidence log, anchored write-once after the envelope ended (the
			// anchor_evidence job's output, beside it, says how many rows and the head).
			st, after = stageSigned, started[workers.AnchorEvidenceArgs{}.Kind()]
			detail["anchor"] = true
			summary = fmt.Sprintf("evidence of %s anchored at %s (%d bytes, write-once under the bucket's lock)", id, uri, o.Size)
		}
		tr.add(Entry{At: o.Modified, Kind: "s3", Ref: uri, stage: st, Detail: detail, after: after, Summary: summary})
	}
	if d.EnvelopeError != "" {
		// The provider refused the send for good: on-call reads its words here.
		tr.add(Entry{At: started[workers.SendEnvelopeArgs{}.Kind()], Kind: "envelope", Ref: id + "/refused", stage: stageEnvelope,
			Errors: []string{d.EnvelopeError}, Summary: fmt.Sprintf("the e-sign provider refused to send %s", id)})
	}
	evidence, err := store.SignEventsOf(ctx, db, id, "")
	if err != nil {
		return err
	}
	for _, r := range evidence {
		st := stageProvider
		if r.Event == "envelope_sent" {
			st = stageEnvelopeSent
		}
		who := r.ActorRole
		if r.ActorUserID != "" {
			who += " " + r.ActorUserID
		}
		seq := 0
		if r.Seq != nil {
			seq = *r.Seq
		}
		tr.add(Entry{At: r.CreatedAt, Kind: "sign_event", Ref: r.SignEventID, stage: st, Detail: map[string]any{"event": r.Event, "seq": r.Seq, "doc_id": id},
			Summary: fmt.Sprintf("evidence #%d on %s: %s by %s", seq, id, r.Event, who)})
	}
	return tr.webhooks(ctx, id)
}

// webhooks adds the provider events recorded for a subject and the jobs of the webhook
// events that carried them.
func (tr *tracer) webhooks(ctx context.Context, subject string) error {
	rows, err := store.WebhooksOf(ctx, tr.src.DB, subject)
	if err != nil {
		return err
	}
	for _, r := range rows {
		tr.add(Entry{At: r.RecordedAt, Kind: "webhook", Ref: r.DedupeKey, stage: stageProvider,
			Summary: fmt.Sprintf("%s %s (receipt %s, received %s): %s", r.Provider, r.EventType, r.ReceiptID, r.ReceivedAt.UTC().Format(time.RFC3339), r.Outcome)})
		if _, err := tr.jobs(ctx, jobmeta.Meta{EventID: webhook.EventID(r.ReceiptID)}); err != nil {
			return err
		}
	}
	return nil
}

// jobs adds the River jobs whose metadata holds m (and of the given kinds, if any).
func (tr *tracer) jobs(ctx context.Context, m jobmeta.Meta, kinds ...string) ([]*rivertype.JobRow, error) {
	if tr.src.Jobs == nil {
		return nil, nil
	}
	params := river.NewJobListParams().Metadata(m.JSON()).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1000)
	if len(kinds) > 0 {
		params = params.Kinds(kinds...)
	}
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
	workers.BuildDocPackArgs{}.Kind(): stageBuild, workers.EndDocPackArgs{}.Kind(): stageBuild,
	workers.RecordRiskEventArgs{}.Kind(): stageBuild, workers.RenderDocumentArgs{}.Kind(): stageRender,
	workers.SendEnvelopeArgs{}.Kind(): stageEnvelope, workers.HandleWebhookArgs{}.Kind(): stageProvider,
	workers.ApplyIdentityArgs{}.Kind(): stageProvider, workers.ApplyBackgroundCheckArgs{}.Kind(): stageProvider,
	workers.StoreExecutedCopyArgs{}.Kind(): stageSigned, workers.VerifyAgeArgs{}.Kind(): stageProvider,
	workers.AnchorEvidenceArgs{}.Kind(): stageSigned,
}

func jobEntry(j *rivertype.JobRow) Entry {
	at := j.CreatedAt
	if j.AttemptedAt != nil {
		at = *j.AttemptedAt
	}
	if len(j.Errors) > 0 && j.Errors[0].At.Before(at) {
		at = j.Errors[0].At // attempted_at is the last attempt's start
	}
	e := Entry{At: at, Kind: "job", Ref: fmt.Sprintf("job %d", j.ID), stage: jobStage[j.Kind],
		Detail: map[string]any{"job_id": j.ID, "kind": j.Kind, "state": string(j.State), "attempt": j.Attempt, "max_attempts": j.MaxAttempts}}
	for _, ae := range j.Errors {
		e.Errors = append(e.Errors, fmt.Sprintf("attempt %d at %s: %s", ae.Attempt, ae.At.UTC().Format(time.RFC3339), firstLine(ae.Error)))
	}
	done := ""
	if j.FinalizedAt != nil && j.AttemptedAt != nil {
		done = fmt.Sprintf(" in %s", j.FinalizedAt.Sub(*j.AttemptedAt).Round(time.Millisecond))
	}
	e.Summary = fmt.Sprintf("%s job %d %s after %d attempt(s)%s", j.Kind, j.ID, j.State, j.Attempt, done)
	// What a job recorded as its output (river.RecordOutput: outcomes, never personal
	// data), e.g. verify_age's {"outcome":"no_api_key"}.
	var md struct {
		Output json.RawMessage `json:"output"`
	}
	if json.Unmarshal(j.Metadata, &md) == nil && len(md.Output) > 0 {
		var out bytes.Buffer
		if json.Compact(&out, md.Output) == nil {
			e.Detail["output"] = json.RawMessage(out.Bytes())
			e.Summary += ": " + out.String()
		}
	}
	if j.Kind == (workers.PublishEventArgs{}).Kind() {
		var a workers.PublishEventArgs
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
// verification, badges, risk snapshots and ledger, evidence they signed, the jobs that
// concern them (and their background-check candidates) and the trust cache item.
func (tr *tracer) user(ctx context.Context, id string) error {
	if !tr.related("user", id) {
		return nil
	}
	db := tr.src.DB
	rows, err := store.TrustRowsOf(ctx, db, id)
	if err != nil {
		return err
	}
	for _, r := range rows {
		tr.add(Entry{At: r.At, Kind: r.Kind, Ref: r.Ref, stage: stageBuild, Summary: r.Summary})
	}
	ledger, err := store.LedgerOf(ctx, db, "", "", id)
	if err != nil {
		return err
	}
	for _, r := range ledger {
		tr.add(ledgerEntry(r))
	}
	signed, err := store.SignEventsOf(ctx, db, "", id)
	if err != nil {
		return err
	}
	for _, r := range signed {
		tr.related("doc", r.DocID)
		tr.add(Entry{At: r.CreatedAt, Kind: "sign_event", Ref: r.SignEventID, stage: stageProvider, Summary: fmt.Sprintf("%s on %s as %s", r.Event, r.DocID, r.ActorRole)})
	}
	if err := tr.webhooks(ctx, id); err != nil {
		return err
	}
	if _, err := tr.jobs(ctx, jobmeta.Meta{UserIDs: []string{id}}); err != nil {
		return err
	}
	// A background check's webhook names the provider's candidate, not our user: its
	// jobs are found through the user's candidates.
	candidates, err := store.CandidatesOf(ctx, db, id)
	if err != nil {
		return err
	}
	for _, c := range candidates {
		if _, err := tr.jobs(ctx, jobmeta.Meta{CandidateID: c}); err != nil {
			return err
		}
	}
	if tr.src.Cache != nil {
		item, found, err := tr.src.Cache.Get(ctx, id)
		if err != nil {
			return err
		}
		if found {
			score := "insufficient data"
			if item.RiskScore != nil {
				score = fmt.Sprint(*item.RiskScore)
			}
			tr.add(Entry{At: item.ComputedAt, Kind: "trust_cache", Ref: fmt.Sprintf("%s v%d", id, item.Version), stage: stageOutbound,
				Summary: fmt.Sprintf("trust cache v%d: idv %t, age %t, trusted pro %t, social %t, risk %s %s, badges %v, valid until %s",
					item.Version, item.IDVPassed, item.AgeVerified, item.TrustedPro, item.SocialVerified, score, item.RiskWindow, item.Badges,
					item.ValidUntil.UTC().Format(time.RFC3339)),
				Detail: map[string]any{"item": item}})
		}
	}
	if len(tr.t.Entries) == 0 {
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
