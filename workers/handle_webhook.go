package workers

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/esign"
	"trustdocs/events"
	"trustdocs/evidence"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/webhook"
)

// HandleWebhookArgs applies one verified provider webhook.
type HandleWebhookArgs struct {
	Event events.Envelope `json:"event"`
}

func (HandleWebhookArgs) Kind() string { return "handle_webhook" }

func (a HandleWebhookArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{EventID: a.Event.ID} }

func (HandleWebhookArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueDocs} }

// HandleWebhookWorker turns an e-sign provider event into evidence: one doc_sign_event
// per provider event (its id derives from the provider's dedupe key, so duplicates add
// nothing), the envelope status moved forward only, and the pack signed — with
// doc_pack.signed published — when its last envelope completes. Every event is recorded
// in webhook_event with its outcome, including those that need no change.
type HandleWebhookWorker struct {
	river.WorkerDefaults[HandleWebhookArgs]
	deps *Deps
}

func (w *HandleWebhookWorker) Work(ctx context.Context, job *river.Job[HandleWebhookArgs]) error {
	wh, err := events.DataAs[events.Webhook](job.Args.Event)
	if err != nil {
		return river.JobCancel(err)
	}
	u, err := webhook.NormalizeESign(wh.Provider, wh.Headers["Content-Type"], wh.BodyBase64)
	if err != nil {
		// Cannot happen for a job JobsFor made (it dead-letters unreadable bodies); only
		// a job inserted by an older build lands here.
		return river.JobCancel(err)
	}
	log := w.deps.Log.With().Str("provider", u.Provider).Str("provider_event", u.ProviderEvt).Str("envelope_id", u.EnvelopeID).
		Str("receipt_id", wh.ReceiptID).Int64("job_id", job.ID).Logger()

	e := providerEvent{u.DedupeKey, u.Provider, u.ProviderEvt, wh.ReceiptID, wh.ReceivedAt}
	return applyProviderEventTx(ctx, w.deps, job, e, log, func(tx store.Tx) (string, string, error) {
		if u.EnvelopeID == "" {
			return "ignored", "", nil // an account-level event (Dropbox Sign's callback_test)
		}
		doc, found, err := store.DocByEnvelope(ctx, tx, u.EnvelopeID)
		if err != nil {
			return "", "", err
		}
		if !found {
			log.Warn().Msg("no document has this envelope: recorded, nothing changed")
			return "unknown_subject", "", nil
		}
		// Lock the pack first (the order every pack job uses: pack, then document): the
		// last envelopes of a pack may complete at the same time, and each must see the
		// others' status, or neither would sign the pack.
		if _, err := store.LockPackTx(ctx, tx, doc.PackID); err != nil {
			return "", "", err
		}
		outcome, err := w.apply(ctx, tx, u, doc, log)
		return outcome, doc.DocID, err
	})
}

// apply records the event's evidence and moves the envelope, and names the outcome:
// applied, or ignored for an event that changes nothing (acknowledged and recorded).
func (w *HandleWebhookWorker) apply(ctx context.Context, tx store.Tx, u webhook.ESignUpdate, doc store.Doc, log zerolog.Logger) (string, error) {
	if u.Event != "" {
		role, userID := "provider", "" // envelope-level events have no recipient
		if u.Role != "" || u.RecipientID != "" {
			// A recipient acted: which of our signers, by the role the provider names or
			// the ids stored at send (Dropbox Sign names no role for our requests).
			r, ok := doc.SignerRole(u.Role, u.RecipientID, u.Email)
			switch {
			case ok:
				role, userID = r, doc.Signers[r].UserID
			case u.Event == "signed":
				// Someone who is none of the document's signers (a carbon copy) signs nothing.
				log.Warn().Str("recipient_id", u.RecipientID).Msg("signature by a recipient who is none of the document's signers: no evidence row")
				u.Event = ""
			}
		}
		if u.Event != "" {
			if _, err := store.AppendSignEventTx(ctx, tx, store.SignEvent{
				SignEventID: "dse_" + shortHash(u.DedupeKey), DocID: doc.DocID, ActorRole: role, ActorUserID: userID,
				ActorEmail: u.Email, Event: u.Event, ProviderPayload: u.Payload,
			}); err != nil {
				return "", err
			}
		}
	}
	switch {
	case u.Status == "" && u.Event == "":
		return "ignored", nil
	case u.Status == "":
		return "applied", nil
	}
	moved, err := store.AdvanceEnvelopeTx(ctx, tx, doc.DocID, u.Status)
	if err != nil {
		return "", err
	}
	if moved && evidence.Terminal(u.Status) {
		// The envelope ended here (completed, voided, declined, expired): anchor its
		// evidence, queued with the end it anchors.
		if err := anchorEvidenceTx(ctx, tx, doc.DocID); err != nil {
			return "", err
		}
	}
	if u.Status != "completed" {
		return "applied", nil
	}
	if esign.KeepsExecutedCopy(doc.EnvelopeProvider) {
		// The pack is signed once the executed copy is stored (StoreExecutedCopyWorker).
		_, err := river.ClientFromContext[store.Tx](ctx).InsertTx(ctx, tx, StoreExecutedCopyArgs{DocID: doc.DocID}, nil)
		return "applied", err
	}
	return "applied", signPackTx(ctx, tx, doc.PackID)
}

// signPackTx signs the pack if every document is completed with its executed copy
// stored, and then announces it, in the caller's transaction.
func signPackTx(ctx context.Context, tx store.Tx, packID string) error {
	signed, err := store.SignIfCompletedTx(ctx, tx, packID)
	if err != nil || !signed {
		return err
	}
	return publishTx(ctx, tx, packID+"\x00signed", events.DocPackSigned, map[string]string{"pack_id": packID})
}
