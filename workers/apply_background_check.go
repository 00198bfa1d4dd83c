package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/apierror"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/webhook"
)

// ApplyBackgroundCheckArgs applies one background-check provider event (Checkr),
// normalized at ingestion: it carries statuses and ids, no report contents.
type ApplyBackgroundCheckArgs struct {
	EventID    string                   `json:"event_id"` // the webhook event (whk_…) that carried it
	Update     webhook.BackgroundUpdate `json:"update"`
	ReceiptID  string                   `json:"receipt_id"`
	ReceivedAt time.Time                `json:"received_at"`
}

func (ApplyBackgroundCheckArgs) Kind() string { return "apply_background_check" }

// Concerns: the webhook event and the provider's candidate (the user is known only once
// the job maps the candidate; the trace finds these jobs through the user's candidates).
func (a ApplyBackgroundCheckArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.EventID, CandidateID: a.Update.CandidateID}
}

// A webhook can overtake the request event that maps its candidate (they travel on
// different paths), so an unknown candidate is retried: 10 attempts span about 4 hours
// of River's backoff before the job is discarded and shows in `jobs list`.
func (ApplyBackgroundCheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTrust, MaxAttempts: 10}
}

// ApplyBackgroundCheckWorker resolves the candidate to our user, applies the status
// (never older than the stored one) or the adjudication step, re-derives trusted_pro and
// bumps the trust version when anything changed. Every event is recorded once in
// webhook_event.
type ApplyBackgroundCheckWorker struct {
	river.WorkerDefaults[ApplyBackgroundCheckArgs]
	deps *Deps
}

// reportResult reads a completed report's result from the provider.
func (w *ApplyBackgroundCheckWorker) reportResult(ctx context.Context, u webhook.BackgroundUpdate) (webhook.BackgroundUpdate, error) {
	if w.deps.Reports == nil {
		return u, river.JobCancel(fmt.Errorf("report %s completed without its result, and CHECKR_API_KEY is not set to read it", u.ReportID))
	}
	r, err := w.deps.Reports.Report(ctx, u.ReportID)
	switch {
	case apierror.IsPermanent(err):
		return u, river.JobCancel(fmt.Errorf("report %s: %w", u.ReportID, err))
	case err != nil:
		return u, fmt.Errorf("report %s: %w", u.ReportID, err)
	}
	switch r.Result {
	case "clear", "consider":
		u.Status, u.ResultPending = r.Result, false
		return u, nil
	}
	// Checkr sent report.completed before its API shows the result: ask again soon.
	return u, river.JobSnooze(time.Minute)
}

// ErrUnknownCandidate means no background-check request has named the candidate yet.
var ErrUnknownCandidate = fmt.Errorf("no background check request names this candidate yet")

func (w *ApplyBackgroundCheckWorker) Work(ctx context.Context, job *river.Job[ApplyBackgroundCheckArgs]) error {
	a := job.Args
	u := a.Update
	log := w.deps.Log.With().Str("provider", u.Provider).Str("provider_event", u.ProviderEvt).Str("candidate_id", u.CandidateID).
		Str("receipt_id", a.ReceiptID).Int64("job_id", job.ID).Logger()
	if u.ResultPending {
		// The webhook did not carry the report's result: read it from Checkr's API
		// (statuses and ids only), unless the event is a duplicate already applied.
		if seen, err := store.WebhookSeen(ctx, w.deps.DB, u.DedupeKey); err != nil || !seen {
			if err != nil {
				return err
			}
			if u, err = w.reportResult(ctx, u); err != nil {
				return err
			}
		}
	}
	e := providerEvent{u.DedupeKey, u.Provider, u.ProviderEvt, a.ReceiptID, a.ReceivedAt}
	return applyProviderEventTx(ctx, w.deps, job, e, log, func(tx store.Tx) (string, string, error) {
		if u.Status == "" && u.Adjudication == "" {
			return "ignored", "", nil // an event we do not use: acknowledged and recorded
		}
		c, found, err := store.CandidateTx(ctx, tx, u.Provider, u.CandidateID)
		if err != nil {
			return "", "", err
		}
		if !found {
			return "", "", fmt.Errorf("candidate %s: %w", u.CandidateID, ErrUnknownCandidate)
		}
		pkg := u.Package
		if pkg == "" {
			pkg = c.Package
		}
		if err := changeTrustTx(ctx, tx, w.deps, c.UserID, log, func() (bool, error) {
			changed, status, err := store.ApplyBGTx(ctx, tx, store.BGUpdate{BGID: BGID(c.UserID, u.CandidateID), UserID: c.UserID,
				Provider: u.Provider, ProviderRef: u.CandidateID, Package: pkg, Status: u.Status, Adjudication: u.Adjudication, At: u.At})
			if err == nil {
				log.Info().Str("user_id", c.UserID).Str("bg_status", status).Bool("changed", changed).Msg("background check event applied")
			}
			return changed, err
		}); err != nil {
			return "", "", err
		}
		return "applied", c.UserID, nil
	})
}
