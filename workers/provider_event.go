package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/store"
)

// providerEvent identifies one provider event for webhook_event.
type providerEvent struct {
	DedupeKey, Provider, Type, ReceiptID string
	ReceivedAt                           time.Time
}

// applyProviderEventTx is the frame every provider-event job shares: in one transaction
// it skips an event whose dedupe key is already recorded (a duplicate delivery), lets
// apply change what the event changes and name its outcome and subject, records the
// event in webhook_event, and completes the job.
func applyProviderEventTx[T river.JobArgs](ctx context.Context, deps *Deps, job *river.Job[T], e providerEvent, log zerolog.Logger,
	apply func(tx store.Tx) (outcome, subject string, err error)) error {
	tx, err := deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if seen, err := store.WebhookSeen(ctx, tx, e.DedupeKey); err != nil {
		return err
	} else if seen {
		log.Info().Msg("duplicate provider event: no-op")
		return completeTx(ctx, tx, job)
	}
	outcome, subject, err := apply(tx)
	if err != nil {
		return err
	}
	if err := store.RecordWebhookTx(ctx, tx, e.DedupeKey, e.Provider, e.Type, e.ReceiptID, outcome, subject, e.ReceivedAt); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}
