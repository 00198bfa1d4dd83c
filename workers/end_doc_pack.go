package workers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// EndDocPackArgs handles a leg that changed or was cancelled. An amended checkout
// supersedes the leg's live pack and builds a new one from the amended data; a
// cancelled one voids the live pack. Either way the old pack's open envelopes are
// voided with the provider and a `voided` evidence row is appended per document.
type EndDocPackArgs struct {
	Event events.Envelope `json:"event"`
}

func (EndDocPackArgs) Kind() string { return "end_doc_pack" }

func (a EndDocPackArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.Event.ID, LegID: legOf(a.Event)}
}

func (EndDocPackArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueDocs} }

type EndDocPackWorker struct {
	river.WorkerDefaults[EndDocPackArgs]
	deps *Deps
}

func (w *EndDocPackWorker) Work(ctx context.Context, job *river.Job[EndDocPackArgs]) error {
	env := job.Args.Event
	amended := env.Type == events.CheckoutAmended
	var legID, bookingID string
	var checkout events.Checkout
	if amended {
		c, err := events.DataAs[events.Checkout](env)
		if err != nil {
			return river.JobCancel(err)
		}
		checkout, legID = c, c.LegID
	} else {
		c, err := events.DataAs[events.CheckoutCancellation](env)
		if err != nil {
			return river.JobCancel(err)
		}
		legID, bookingID = c.LegID, c.BookingID
	}
	log := w.deps.Log.With().Str("event_id", env.ID).Str("event_type", env.Type).Str("leg_id", legID).Int64("job_id", job.ID).Logger()

	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// A replay of this event, or an event older than the one behind the live pack (out
	// of order delivery), must not end the pack that is current.
	if done, err := store.PackFromEvent(ctx, tx, env.ID); err != nil {
		return err
	} else if done {
		log.Info().Msg("pack of this event exists: no-op")
		return completeTx(ctx, tx, job)
	}
	packID, _, found, err := store.LivePack(ctx, tx, legID)
	if err != nil {
		return err
	}
	if found {
		if at, known, err := store.PackEventTime(ctx, tx, packID); err != nil {
			return err
		} else if known && at.After(env.OccurredAt) {
			log.Warn().Str("pack_id", packID).Time("pack_event_at", at).Msg("event older than the live pack's: ignored")
			return completeTx(ctx, tx, job)
		}
	}
	if found && packID != PackID(env.ID) {
		status := map[bool]string{true: "superseded", false: "voided"}[amended]
		ended, voided, err := store.EndPackTx(ctx, tx, packID, status)
		if err != nil {
			return err
		}
		if ended {
			if err := w.announce(ctx, tx, env, packID, status, voided); err != nil {
				return err
			}
			log.Info().Str("pack_id", packID).Str("status", status).Int("envelopes_voided", len(voided)).Msg("pack ended")
		}
	}
	if amended {
		if err := buildPackTx(ctx, tx, env, checkout, log, nil); err != nil {
			return err
		}
	} else if err := store.CancelLegTx(ctx, tx, legID, bookingID, env.OccurredAt); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// announce appends the voided evidence rows, voids the envelopes with the provider and
// queues the outbound event, in the transaction that ended the pack. The provider call
// is idempotent (voiding a voided envelope is a no-op), so a rolled-back attempt that
// already voided is harmless.
func (w *EndDocPackWorker) announce(ctx context.Context, tx store.Tx, env events.Envelope, packID, status string, voided []store.VoidedEnvelope) error {
	for _, v := range voided {
		provider, err := w.deps.esignFor(v.Provider)
		if err != nil {
			return err
		}
		if err := provider.Void(ctx, v.EnvelopeID, env.Type); err != nil {
			return fmt.Errorf("void envelope %s: %w", v.EnvelopeID, err)
		}
		payload, _ := json.Marshal(map[string]string{"envelope_id": v.EnvelopeID, "reason": env.Type, "event_id": env.ID})
		if _, err := store.AppendSignEventTx(ctx, tx, store.SignEvent{
			SignEventID: "dse_" + shortHash(v.DocID+"\x00voided\x00"+env.ID), DocID: v.DocID,
			ActorRole: "system", Event: "voided", ProviderPayload: payload,
		}); err != nil {
			return err
		}
		if err := anchorEvidenceTx(ctx, tx, v.DocID); err != nil {
			return err
		}
	}
	typ := events.DocPackVoided
	if status == "superseded" {
		typ = events.DocPackSuperseded
	}
	return publishTx(ctx, tx, packID+"\x00"+status, typ, map[string]string{"pack_id": packID, "cause_event_id": env.ID})
}
