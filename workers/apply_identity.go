package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/webhook"
)

// ApplyIdentityArgs applies one identity-verification event. It carries the normalized,
// non-PII update, not the provider's payload: normalization happens at ingestion
// (JobsFor), so no date of birth, document number or photo URL is ever written to the
// database, River's job table included.
type ApplyIdentityArgs struct {
	EventID    string                 `json:"event_id"` // the webhook event (whk_…) that carried it
	Update     webhook.IdentityUpdate `json:"update"`
	Provider   string                 `json:"provider"`
	ReceiptID  string                 `json:"receipt_id"`
	ReceivedAt time.Time              `json:"received_at"`
}

func (ApplyIdentityArgs) Kind() string { return "apply_identity" }

func (a ApplyIdentityArgs) Concerns() jobmeta.Meta {
	m := jobmeta.Meta{EventID: a.EventID}
	if a.Update.UserID != "" {
		m.UserIDs = []string{a.Update.UserID}
	}
	return m
}

func (ApplyIdentityArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueTrust} }

// ApplyIdentityWorker upserts idv_status (status only moves forward, age_verified never
// goes back), re-derives the badges (id_verified when the session passed with a verified
// age, and trusted_pro that rests on it) and bumps the trust version on a change. Every provider event is recorded once in webhook_event.
type ApplyIdentityWorker struct {
	river.WorkerDefaults[ApplyIdentityArgs]
	deps *Deps
}

func (w *ApplyIdentityWorker) Work(ctx context.Context, job *river.Job[ApplyIdentityArgs]) error {
	a := job.Args
	u := a.Update
	log := w.deps.Log.With().Str("provider", u.Provider).Str("provider_event", u.ProviderEvt).Str("user_id", u.UserID).
		Str("receipt_id", a.ReceiptID).Int64("job_id", job.ID).Logger()
	e := providerEvent{u.DedupeKey, a.Provider, u.ProviderEvt, a.ReceiptID, a.ReceivedAt}
	return applyProviderEventTx(ctx, w.deps, job, e, log, func(tx store.Tx) (string, string, error) {
		switch {
		case u.UserID == "":
			log.Warn().Msg("identity event without a user reference: recorded, nothing changed")
			return "unknown_subject", "", nil
		case u.Status == "" && !u.AgeVerified && u.Checks == nil:
			return "ignored", u.UserID, nil
		}
		var checks any
		if u.Checks != nil {
			checks = u.Checks
		}
		idvID := IDVID(u.UserID, u.ProviderRef)
		if err := changeTrustTx(ctx, tx, w.deps, u.UserID, log, func() (bool, error) {
			return store.UpsertIDVTx(ctx, tx, store.IDVUpdate{IDVID: idvID, UserID: u.UserID, Provider: u.Provider,
				ProviderRef: u.ProviderRef, Status: u.Status, Checks: checks, AgeVerified: u.AgeVerified})
		}); err != nil {
			return "", "", err
		}
		if u.AgeCheck {
			// Passed without a date of birth in the payload: ask the provider's API, in a
			// job of its own (its queue is rate-limited, its retries its own).
			if _, err := river.ClientFromContext[store.Tx](ctx).InsertTx(ctx, tx, VerifyAgeArgs{EventID: a.EventID, UserID: u.UserID,
				Provider: u.Provider, ProviderRef: u.ProviderRef, At: u.At}, nil); err != nil {
				return "", "", err
			}
		}
		return "applied", u.UserID, nil
	})
}
