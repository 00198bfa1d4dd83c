package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/jobmeta"
	"trustdocs/store"
)

// RecordRiskEventArgs adds one risk signal, or one completed booking per party, to the
// risk ledger.
type RecordRiskEventArgs struct {
	EventID    string    `json:"event_id"`
	Signal     string    `json:"signal"` // a trust_risk_signal counter, or completed_booking
	UserIDs    []string  `json:"user_ids"`
	OccurredAt time.Time `json:"occurred_at"`
	BookingID  string    `json:"booking_id,omitempty"`
	LegID      string    `json:"leg_id,omitempty"`
}

func (RecordRiskEventArgs) Kind() string { return "record_risk_event" }

func (a RecordRiskEventArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.EventID, LegID: a.LegID, UserIDs: a.UserIDs}
}

func (RecordRiskEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueLedger}
}

// RecordRiskEventWorker writes the ledger rows, queues a recompute of each user's rolling
// windows and completes the job in one transaction, so a crash between them cannot
// record twice or lose the job.
type RecordRiskEventWorker struct {
	river.WorkerDefaults[RecordRiskEventArgs]
	deps *Deps
}

func (w *RecordRiskEventWorker) Work(ctx context.Context, job *river.Job[RecordRiskEventArgs]) error {
	a := job.Args
	rows := make([]store.RiskEvent, 0, len(a.UserIDs))
	for _, u := range a.UserIDs {
		rows = append(rows, store.RiskEvent{EventID: a.EventID, UserID: u, Kind: a.Signal, OccurredAt: a.OccurredAt, BookingID: a.BookingID, LegID: a.LegID})
	}
	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	added, err := store.InsertRiskEventsTx(ctx, tx, rows)
	if err != nil {
		return err
	}
	if added > 0 {
		// Lock before queueing the recompute: if one is running, it is either waiting for
		// this lock (and will count these rows) or has completed (and this insert queues
		// a new one). Either way no event is left uncounted.
		if err := lockTrustUsersTx(ctx, tx, a.UserIDs); err != nil {
			return err
		}
		params := make([]river.InsertManyParams, 0, len(a.UserIDs))
		for _, u := range a.UserIDs {
			params = append(params, river.InsertManyParams{Args: RecomputeRiskArgs{UserID: u}})
		}
		if _, err := river.ClientFromContext[store.Tx](ctx).InsertManyTx(ctx, tx, params); err != nil {
			return err
		}
	}
	return completeTx(ctx, tx, job)
}
