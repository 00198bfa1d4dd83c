package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"trustdocs/docstore"
	"trustdocs/store"
)

// The evidence anchor: once a document's envelope has ended, its evidence log (every
// doc_sign_event row as stored, with its chain hashes) is copied to
// {DOCS_ENV}/packs/{pack_id}/evidence_{doc_id}.json, written once into the Object Lock
// bucket (workers' anchor_evidence job). The chain alone shows an edited row only to
// someone who cannot recompute hashes; whoever can write the table (its owner, with any
// trigger disabled) can rewrite a row and every hash after it, and the chain holds. The
// anchor cannot be rewritten for the retention period, so `doc verify` compares the
// database's log with it row by row and names the first row that differs.

// AnchorFormat names the anchor's layout; a new layout gets a new name, and readers of
// old anchors keep reading them.
const AnchorFormat = "trustdocs-evidence/1"

// AnchorJobKind is the River job kind that writes anchors (workers.AnchorEvidenceArgs).
const AnchorJobKind = "anchor_evidence"

// chainRule tells a reader of the anchor, who may have nothing else, how each
// chain_hash was computed, so the anchored log can be checked on its own.
const chainRule = "chain_hash = hex(sha256(prev_hash|sign_event_id|doc_id|actor_role|actor_user_id|actor_email|event|provider_payload))," +
	" fields joined by '|', a null as the empty string, provider_payload as stored (PostgreSQL's jsonb text, UTF-8);" +
	" prev_hash is the chain_hash of the row with the previous seq (empty for the first)"

// Terminal reports whether an envelope status is final: after it the envelope records
// nothing that changes its outcome, and its evidence is anchored.
func Terminal(status string) bool {
	return status == "completed" || status == "voided" || status == "expired"
}

// AnchoredEvent is one evidence row as the anchor holds it: every column as stored.
type AnchoredEvent struct {
	Seq             *int    `json:"seq"`
	SignEventID     string  `json:"sign_event_id"`
	DocID           string  `json:"doc_id"`
	ActorRole       string  `json:"actor_role"`
	ActorUserID     *string `json:"actor_user_id"`
	ActorEmail      *string `json:"actor_email"`
	Event           string  `json:"event"`
	ProviderPayload string  `json:"provider_payload"` // the jsonb's text, exactly what was hashed
	PrevHash        *string `json:"prev_hash"`
	ChainHash       *string `json:"chain_hash"`
	CreatedAt       string  `json:"created_at"` // RFC 3339, UTC, as stored (microseconds)
}

// Anchor is the content of evidence_{doc_id}.json. It holds nothing that changes
// between two builds of it from the same rows (no time of writing: S3 keeps that), so
// a retried job writes the same bytes.
type Anchor struct {
	Format           string          `json:"format"`
	DocID            string          `json:"doc_id"`
	PackID           string          `json:"pack_id"`
	EnvelopeID       string          `json:"envelope_id"`
	EnvelopeProvider string          `json:"envelope_provider"`
	EnvelopeStatus   string          `json:"envelope_status"`
	ChainRule        string          `json:"chain_rule"`
	Events           []AnchoredEvent `json:"events"`
}

// NewAnchor is the anchor of a document's evidence rows.
func NewAnchor(d store.Doc, rows []store.SignLogRow) Anchor {
	a := Anchor{Format: AnchorFormat, DocID: d.DocID, PackID: d.PackID, EnvelopeID: d.EnvelopeID,
		EnvelopeProvider: d.EnvelopeProvider, EnvelopeStatus: d.EnvelopeStatus, ChainRule: chainRule,
		Events: make([]AnchoredEvent, 0, len(rows))}
	for _, r := range rows {
		a.Events = append(a.Events, anchored(r))
	}
	return a
}

func anchored(r store.SignLogRow) AnchoredEvent {
	return AnchoredEvent{Seq: r.Seq, SignEventID: r.SignEventID, DocID: r.DocID, ActorRole: r.ActorRole, ActorUserID: r.ActorUserID,
		ActorEmail: r.ActorEmail, Event: r.Event, ProviderPayload: r.ProviderPayload, PrevHash: r.PrevHash, ChainHash: r.ChainHash,
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano)}
}

// JSON is the anchor as stored: indented, so an auditor can read it.
func (a Anchor) JSON() []byte {
	b, _ := json.MarshalIndent(a, "", "  ") // strings, ints and pointers to them: cannot fail
	return append(b, '\n')
}

// ParseAnchor reads an anchor written in AnchorFormat.
func ParseAnchor(b []byte) (Anchor, error) {
	var a Anchor
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("anchor: %w", err)
	}
	if a.Format != AnchorFormat {
		return a, fmt.Errorf("anchor: format %q, this build reads %q", a.Format, AnchorFormat)
	}
	return a, nil
}

// Head describes the last anchored row: its seq and chain hash.
func (a Anchor) Head() string {
	if len(a.Events) == 0 {
		return "no rows"
	}
	last := a.Events[len(a.Events)-1]
	return fmt.Sprintf("seq %s (%s), chain %s", seqText(last.Seq), last.SignEventID, short(deref(last.ChainHash)))
}

// ChainBreaks recomputes the anchored rows' chain hashes from the anchor alone (by
// chainRule, as PostgreSQL computes them on insert) and returns the rows whose stored
// hash does not match: an anchor is only worth comparing with if it is itself intact.
func (a Anchor) ChainBreaks() []AnchoredEvent {
	var breaks []AnchoredEvent
	prev := ""
	for _, e := range a.Events {
		if e.Seq == nil {
			continue // written before the chain existed: no hash to check
		}
		sum := sha256.Sum256([]byte(strings.Join([]string{prev, e.SignEventID, e.DocID, e.ActorRole, deref(e.ActorUserID),
			deref(e.ActorEmail), e.Event, e.ProviderPayload}, "|")))
		if deref(e.PrevHash) != prev || deref(e.ChainHash) != hex.EncodeToString(sum[:]) {
			breaks = append(breaks, e)
		}
		prev = deref(e.ChainHash)
	}
	return breaks
}

// Difference is an anchored row the database no longer holds as anchored.
type Difference struct {
	Seq         *int     `json:"seq"`
	SignEventID string   `json:"sign_event_id"`
	Fields      []string `json:"fields,omitempty"` // the columns that differ
	Missing     bool     `json:"missing,omitempty"`
}

func (d Difference) String() string {
	if d.Missing {
		return fmt.Sprintf("seq %s (%s) is anchored but missing from the database", seqText(d.Seq), d.SignEventID)
	}
	return fmt.Sprintf("seq %s (%s) differs from the anchor in %s", seqText(d.Seq), d.SignEventID, strings.Join(d.Fields, ", "))
}

// CompareAnchor compares the database's evidence rows with the anchored ones, row by row
// in chain order: it returns every anchored row the database no longer holds as
// anchored, and the rows the database has beyond the anchor (a provider event that
// arrived after the envelope ended: evidence too, chained to the anchored head, but not
// in the write-once anchor).
func CompareAnchor(a Anchor, rows []store.SignLogRow) (diffs []Difference, after []store.SignLogRow) {
	for i, want := range a.Events {
		if i >= len(rows) {
			diffs = append(diffs, Difference{Seq: want.Seq, SignEventID: want.SignEventID, Missing: true})
			continue
		}
		if fields := differing(want, anchored(rows[i])); len(fields) > 0 {
			diffs = append(diffs, Difference{Seq: want.Seq, SignEventID: want.SignEventID, Fields: fields})
		}
	}
	if len(rows) > len(a.Events) {
		after = rows[len(a.Events):]
	}
	return diffs, after
}

// differing names the columns in which two rows differ.
func differing(a, b AnchoredEvent) []string {
	var out []string
	for _, f := range []struct {
		name string
		x, y string
	}{
		{"seq", seqText(a.Seq), seqText(b.Seq)},
		{"sign_event_id", a.SignEventID, b.SignEventID},
		{"doc_id", a.DocID, b.DocID},
		{"actor_role", a.ActorRole, b.ActorRole},
		{"actor_user_id", nullable(a.ActorUserID), nullable(b.ActorUserID)},
		{"actor_email", nullable(a.ActorEmail), nullable(b.ActorEmail)},
		{"event", a.Event, b.Event},
		{"provider_payload", a.ProviderPayload, b.ProviderPayload},
		{"prev_hash", nullable(a.PrevHash), nullable(b.PrevHash)},
		{"chain_hash", nullable(a.ChainHash), nullable(b.ChainHash)},
		{"created_at", a.CreatedAt, b.CreatedAt},
	} {
		if f.x != f.y {
			out = append(out, f.name)
		}
	}
	return out
}

// AnchorCheck is what `doc verify` found about a document's evidence anchor.
type AnchorCheck struct {
	Key         string       `json:"key"`
	State       string       `json:"state"` // not_due, pending, missing, matches, differs
	Rows        int          `json:"rows,omitempty"`
	Head        string       `json:"head,omitempty"`
	After       int          `json:"rows_after_anchor,omitempty"`
	Differences []Difference `json:"differences,omitempty"`
}

// Anchor states.
const (
	AnchorNotDue  = "not_due" // the envelope has not ended: nothing to anchor yet
	AnchorPending = "pending" // ended; the anchor job is queued or retrying
	AnchorMissing = "missing" // ended, and no anchor and no job that will write it
	AnchorMatches = "matches"
	AnchorDiffers = "differs"
)

// checkAnchor compares the database's evidence log of a document with its anchor.
func checkAnchor(ctx context.Context, q store.Querier, docs docstore.Store, d store.Doc) (AnchorCheck, bool, string, error) {
	key := docs.Keys(d.PackID, d.DocID, 1).Evidence
	c := AnchorCheck{Key: key}
	if !Terminal(d.EnvelopeStatus) {
		c.State = AnchorNotDue
		return c, true, fmt.Sprintf("none yet: the envelope is %s; its evidence is anchored once it ends", d.EnvelopeStatus), nil
	}
	body, err := docs.Get(ctx, key)
	if errors.Is(err, docstore.ErrNoObject) {
		job, found, err := store.LatestDocJob(ctx, q, AnchorJobKind, d.DocID)
		if err != nil {
			return c, false, "", err
		}
		switch {
		case found && (job.State == "available" || job.State == "scheduled" || job.State == "running" || job.State == "retryable" || job.State == "pending"):
			// Not written yet, and on its way: nothing is contradicted (the chain is
			// checked meanwhile), but nothing is proven by an anchor either.
			c.State = AnchorPending
			detail := fmt.Sprintf("pending: the envelope is %s and %s job %d is %s (attempt %d)", d.EnvelopeStatus, AnchorJobKind, job.ID, job.State, job.Attempt)
			if job.LastError != "" {
				detail += ", last error: " + job.LastError
			}
			return c, true, detail, nil
		case found:
			c.State = AnchorMissing
			detail := fmt.Sprintf("missing: the envelope is %s but %s does not exist (%s job %d is %s", d.EnvelopeStatus, docs.URI(key), AnchorJobKind, job.ID, job.State)
			if job.LastError != "" {
				detail += ": " + job.LastError
			}
			return c, false, detail + ")", nil
		}
		c.State = AnchorMissing
		return c, false, fmt.Sprintf("missing: the envelope is %s but %s does not exist and no %s job is known for it", d.EnvelopeStatus,
			docs.URI(key), AnchorJobKind), nil
	}
	if err != nil {
		return c, false, "", err
	}
	a, err := ParseAnchor(body)
	if err != nil {
		c.State = AnchorDiffers
		return c, false, fmt.Sprintf("%s: %v", docs.URI(key), err), nil
	}
	rows, err := store.SignLog(ctx, q, d.DocID)
	if err != nil {
		return c, false, "", err
	}
	c.Rows, c.Head = len(a.Events), a.Head()
	diffs, after := CompareAnchor(a, rows)
	c.Differences, c.After = diffs, len(after)
	lock, err := docs.LockOf(ctx, key)
	if err != nil {
		return c, false, "", err
	}
	locked := lock.Mode != "" && lock.RetainUntil.After(time.Now())
	lockText := fmt.Sprintf("%s until %s", lock.Mode, lock.RetainUntil.Format(time.DateOnly))
	if !locked {
		lockText = "NOT LOCKED"
	}
	var problems []string
	if breaks := a.ChainBreaks(); len(breaks) > 0 {
		problems = append(problems, fmt.Sprintf("the anchor's own chain breaks at seq %s (%s)", seqText(breaks[0].Seq), breaks[0].SignEventID))
	}
	if len(diffs) > 0 {
		problems = append(problems, fmt.Sprintf("the database was changed after anchoring: %s; %d of %d anchored rows differ",
			diffs[0], len(diffs), len(a.Events)))
	}
	if !locked {
		problems = append(problems, docstore.Base(key)+" is not under Object Lock")
	}
	if len(problems) > 0 {
		c.State = AnchorDiffers
		return c, false, strings.Join(problems, "; ") + " (" + docstore.Base(key) + ": " + lockText + ")", nil
	}
	c.State = AnchorMatches
	detail := fmt.Sprintf("%d rows match %s (head %s; %s)", len(a.Events), docstore.Base(key), a.Head(), lockText)
	if len(after) > 0 {
		detail += fmt.Sprintf("; %d row(s) recorded after the anchor (from seq %s, %s), covered by the chain only",
			len(after), seqText(after[0].Seq), after[0].SignEventID)
	}
	return c, true, detail, nil
}

func seqText(s *int) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprint(*s)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullable tells a null from an empty string, for comparing.
func nullable(s *string) string {
	if s == nil {
		return "\x00null"
	}
	return *s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
