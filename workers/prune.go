package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/config"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// PruneHorizons is how long each operational table keeps its rows: the configuration's
// Keep (RETAIN_INBOX, RETAIN_FAILURES, RETAIN_WEBHOOK_EVENTS, RETAIN_OPS_ACTIONS; README
// "Pruning the operational tables" gives each default's reasoning).
type PruneHorizons = config.Keep

// MinPruneHorizon is the shortest horizon pruning accepts: a slip of the unit
// (RETAIN_INBOX=30m for 30d) would otherwise empty the inbox, and every duplicate after
// it would run its jobs again.
const MinPruneHorizon = 24 * time.Hour

// Pruning's defaults. A batch is one short statement (5,000 inbox rows take about 10 ms
// on a table of a million); the pause after each leaves the time between them to the
// consumer's transactions, autovacuum and any replica (BENCHMARKS.md: without it the
// consumer's commit path loses more of its throughput while pruning runs beside it). The job's budget keeps a run inside
// RIVER_JOB_TIMEOUT's default minute; what is left goes in the next hourly run, or at
// once with `pipelinectl prune`, which has no budget.
const (
	PruneBatchSize  = 5000
	PrunePause      = 50 * time.Millisecond
	PruneJobBudget  = 45 * time.Second
	pruneDeadlineGo = 5 * time.Second // a run stops this long before its context's deadline
	PruneInterval   = time.Hour
)

// HorizonOf returns the horizon of an operational table (store.PruneTables); 0 for
// another name.
func HorizonOf(h PruneHorizons, table string) time.Duration {
	switch table {
	case store.PruneInbox:
		return h.Inbox
	case store.PruneFailures:
		return h.Failures
	case store.PruneWebhookEvents:
		return h.WebhookEvents
	case store.PruneOpsActionItems, store.PruneOpsActions:
		return h.OpsActions
	}
	return 0
}

// ErrPruneHorizon means a horizon is shorter than MinPruneHorizon: nothing is pruned.
var ErrPruneHorizon = errors.New("retention horizon too short")

// PruneBefore returns, for each operational table, the time before which its rows go:
// now minus its horizon. It refuses a horizon shorter than MinPruneHorizon.
func PruneBefore(h PruneHorizons, now time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, table := range store.PruneTables {
		d := HorizonOf(h, table)
		if d < MinPruneHorizon {
			return nil, fmt.Errorf("%w: %s keeps its rows %s, less than %s: check the RETAIN_* variables",
				ErrPruneHorizon, table, config.FormatDuration(d), config.FormatDuration(MinPruneHorizon))
		}
		out[table] = now.Add(-d)
	}
	return out, nil
}

// PruneOptions tunes a prune; zero fields take the defaults above.
type PruneOptions struct {
	Batch int           // rows per statement (PruneBatchSize)
	Pause time.Duration // after each batch that deleted rows (PrunePause); negative: none
	// Budget stops the prune once used (zero: no budget). A context deadline stops it
	// too, pruneDeadlineGo before it.
	Budget time.Duration
	// OnBatch, if set, is told each batch's table and rows deleted (progress).
	OnBatch func(table string, deleted int64)
}

// PruneResult is what a prune did; the job records it as its output.
type PruneResult struct {
	Deleted map[string]int64     `json:"deleted"` // rows, by table
	Before  map[string]time.Time `json:"before"`  // the horizon's cut, by table
	// Complete: every table was pruned to its horizon. False when the budget or the
	// context ran out first; the next run goes on where this one stopped.
	Complete  bool  `json:"complete"`
	Batches   int   `json:"batches"`
	ElapsedMS int64 `json:"elapsed_ms"`
}

// Total is the rows deleted over every table.
func (r PruneResult) Total() int64 {
	var n int64
	for _, d := range r.Deleted {
		n += d
	}
	return n
}

// Prune deletes the operational tables' rows older than their horizons, in batches of
// short statements (store.PruneBatch), the tables in turn, one batch each per round,
// until none is left or the budget is used: one table's backlog never starves the
// others. db is the pool (each batch its own transaction). The result says what was
// deleted, even when an error stopped it.
func Prune(ctx context.Context, db store.DB, h PruneHorizons, now time.Time, o PruneOptions) (res PruneResult, err error) {
	start := time.Now()
	res.Deleted = map[string]int64{}
	defer func() { res.ElapsedMS = time.Since(start).Milliseconds() }()
	before, err := PruneBefore(h, now)
	if err != nil {
		return res, err
	}
	res.Before = before
	batch := o.Batch
	if batch <= 0 {
		batch = PruneBatchSize
	}
	pause := o.Pause
	if pause == 0 {
		pause = PrunePause
	}
	var stopAt time.Time
	if o.Budget > 0 {
		stopAt = start.Add(o.Budget)
	}
	if dl, ok := ctx.Deadline(); ok && (stopAt.IsZero() || dl.Add(-pruneDeadlineGo).Before(stopAt)) {
		stopAt = dl.Add(-pruneDeadlineGo)
	}
	for _, table := range store.PruneTables {
		res.Deleted[table] = 0
	}

	pending := slices.Clone(store.PruneTables)
	for len(pending) > 0 {
		var next []string
		for _, table := range pending {
			if !stopAt.IsZero() && time.Now().After(stopAt) {
				return res, nil
			}
			n, err := store.PruneBatch(ctx, db, table, before[table], batch)
			if err != nil {
				return res, err
			}
			res.Deleted[table] += n
			res.Batches++
			if o.OnBatch != nil {
				o.OnBatch(table, n)
			}
			// A full batch may have left more. An action waits for its items: while they
			// are still being pruned, the actions stay in the round.
			if n >= int64(batch) || (table == store.PruneOpsActions && slices.Contains(next, store.PruneOpsActionItems)) {
				next = append(next, table)
			}
			if n > 0 && pause > 0 {
				select {
				case <-ctx.Done():
					return res, ctx.Err()
				case <-time.After(pause):
				}
			}
		}
		pending = next
	}
	res.Complete = true
	return res, nil
}

// PruneOperationalTablesArgs prunes the operational tables (inbox, message_failure,
// webhook_event, ops_action and its items) to their horizons. River's leader inserts it
// hourly and once at start (PrunePeriodicJob).
type PruneOperationalTablesArgs struct{}

func (PruneOperationalTablesArgs) Kind() string { return "prune_operational_tables" }

// Concerns nothing in particular: pruning is about every row; see Global.
func (PruneOperationalTablesArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{} }

// Global: a prune concerns no id.
func (PruneOperationalTablesArgs) Global() bool { return true }

// InsertOpts: River's default queue, which no other kind uses, so a prune never holds a
// slot the pipeline's own work waits for; one at a time (unique while waiting or
// running: the hourly insert is skipped while a run is still going).
func (PruneOperationalTablesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, UniqueOpts: uniqueWhileWaiting}
}

// PruneWorker works prune_operational_tables: Prune with the horizons it was registered
// with, within PruneJobBudget, recording the result as the job's output
// (`pipelinectl prune --last` shows it) and logging it.
type PruneWorker struct {
	river.WorkerDefaults[PruneOperationalTablesArgs]
	deps     *Deps
	horizons PruneHorizons
	opts     PruneOptions // zero: the defaults, with PruneJobBudget
}

func (w *PruneWorker) Work(ctx context.Context, job *river.Job[PruneOperationalTablesArgs]) error {
	opts := w.opts
	if opts.Budget == 0 {
		opts.Budget = PruneJobBudget
	}
	res, err := Prune(ctx, w.deps.DB, w.horizons, w.deps.now(), opts)
	if errors.Is(err, ErrPruneHorizon) {
		return river.JobCancel(err) // a configuration error: no retry would do better
	}
	if oerr := river.RecordOutput(ctx, res); oerr != nil && err == nil {
		err = fmt.Errorf("record output: %w", oerr)
	}
	ev, msg := w.deps.Log.Info(), "pruned operational tables"
	switch {
	case err != nil:
		ev, msg = w.deps.Log.Warn().Err(err), "pruning stopped by an error; the retry goes on"
	case !res.Complete:
		ev, msg = w.deps.Log.Warn(), "pruned operational tables until the budget ran out; the next run goes on"
	}
	for _, table := range store.PruneTables {
		ev = ev.Int64(table, res.Deleted[table])
	}
	ev.Bool("complete", res.Complete).Int("batches", res.Batches).Int64("elapsed_ms", res.ElapsedMS).Msg(msg)
	return err
}

// RegisterPrune adds the prune job kind to workers, with the horizons it prunes to.
func RegisterPrune(workers *river.Workers, deps *Deps, h PruneHorizons) {
	river.AddWorker(workers, &PruneWorker{deps: deps, horizons: h})
}

// PrunePeriodicJob is the hourly prune, also run once when a worker becomes leader, so a
// worker that was down catches up (pruning is idempotent).
func PrunePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PruneInterval), func() (river.JobArgs, *river.InsertOpts) {
		return PruneOperationalTablesArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true, ID: "prune_operational_tables"})
}
