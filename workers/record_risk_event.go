package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

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

func (RecordRiskEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueLedger}
}

// RecordRiskEventWorker writes the ledger rows and completes the job in one transaction,
// so a crash between the two cannot record twice or lose the job.
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
	tx, err := w.deps.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := store.InsertRiskEventsTx(ctx, tx, rows); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}
