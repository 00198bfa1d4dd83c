package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"trustdocs/config"
	"trustdocs/store"
	"trustdocs/workers"
)

func pruneCmd() *cobra.Command {
	var dryRun, last, asJSON bool
	var batch, limit int
	var pause time.Duration
	cmd := &cobra.Command{
		Use:   "prune [--dry-run] | --last",
		Short: "Prune the operational tables to their horizons now, or show what the hourly prune did",
		Long: `prune deletes the rows of the operational tables older than their horizons, as the
worker's hourly prune_operational_tables job does, and prints for each table its
horizon, the cut (now minus the horizon) and the rows it deleted:

  inbox            received_at older than RETAIN_INBOX (default 30d)
  message_failure  last_failed_at older than RETAIN_FAILURES (default 30d)
  webhook_event    recorded_at older than RETAIN_WEBHOOK_EVENTS (default 90d)
  ops_action_item  items of actions started before RETAIN_OPS_ACTIONS (default 400d)
  ops_action       actions started before RETAIN_OPS_ACTIONS, once their items are gone

It deletes in batches of short statements (--batch rows each, a --pause after each),
so the consumer and the worker carry on beside it, and runs until nothing is left (the
job stops after 45 s and goes on an hour later): use it to catch up a backlog. A prune
already running elsewhere is harmless: each passes over the rows the other holds.
Interrupted, it stops at once (the batch in flight is rolled back, the ones before it
stay deleted) and prints what it deleted.

--dry-run counts what would go and deletes nothing.

--last shows the most recent prune jobs (newest first) with what each deleted, from the
output River keeps on each job (River deletes completed jobs after 24 hours, so that
is how far back it goes). See README.md, "Pruning the operational tables", for why each
horizon is what it is.`,
		Example: `  pipelinectl prune --dry-run
  pipelinectl prune
  pipelinectl prune --last
  RETAIN_WEBHOOK_EVENTS=60d pipelinectl prune`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if last && dryRun {
				return errors.New("--last and --dry-run: give one")
			}
			if batch <= 0 {
				return fmt.Errorf("--batch %d: want a positive number of rows", batch)
			}
			n := needDB
			if last {
				n = needRiver
			}
			d, closeDeps, err := open(cmd, n)
			defer closeDeps()
			if err != nil {
				return err
			}
			if last {
				return pruneLast(cmd, d, limit, asJSON)
			}
			return pruneNow(cmd, d, dryRun, asJSON, workers.PruneOptions{Batch: batch, Pause: pause})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count the rows that would be deleted; delete nothing")
	cmd.Flags().BoolVar(&last, "last", false, "show what the most recent prune jobs deleted")
	cmd.Flags().IntVar(&limit, "limit", 10, "with --last: how many jobs")
	cmd.Flags().IntVar(&batch, "batch", workers.PruneBatchSize, "rows per delete statement")
	cmd.Flags().DurationVar(&pause, "pause", workers.PrunePause, "pause after each batch (0: the default; negative: none)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// pruneRow is one table's line of `prune`.
type pruneRow struct {
	Table   string    `json:"table"`
	Horizon string    `json:"horizon"`
	Before  time.Time `json:"before"`
	Rows    int64     `json:"rows"` // deleted, or with --dry-run would be
}

func pruneNow(cmd *cobra.Command, d *deps, dryRun, asJSON bool, opts workers.PruneOptions) error {
	ctx := cmd.Context()
	now := time.Now().UTC()
	before, err := workers.PruneBefore(d.cfg.Keep, now)
	if err != nil {
		return err
	}
	rows := make([]pruneRow, 0, len(store.PruneTables))
	for _, table := range store.PruneTables {
		rows = append(rows, pruneRow{Table: table, Horizon: config.FormatDuration(workers.HorizonOf(d.cfg.Keep, table)), Before: before[table]})
	}
	out := cmd.OutOrStdout()
	if dryRun {
		for i := range rows {
			if rows[i].Rows, err = store.PruneCount(ctx, d.pool, rows[i].Table, rows[i].Before); err != nil {
				return err
			}
		}
		if asJSON {
			return writeJSON(out, map[string]any{"dry_run": true, "tables": rows})
		}
		return printPrune(out, rows, "WOULD DELETE", "dry run: nothing deleted")
	}

	// Progress on stderr every few seconds: a backlog can take minutes.
	progress := cmd.ErrOrStderr()
	var total int64
	lastReport := time.Now()
	opts.OnBatch = func(table string, n int64) {
		total += n
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(progress, "pruning: %d rows deleted so far (now on %s)\n", total, table)
		}
	}
	res, err := workers.Prune(ctx, d.pool, d.cfg.Keep, now, opts)
	for i := range rows {
		rows[i].Rows = res.Deleted[rows[i].Table]
	}
	if asJSON {
		if jerr := writeJSON(out, map[string]any{"dry_run": false, "tables": rows, "complete": res.Complete && err == nil,
			"batches": res.Batches, "elapsed_ms": res.ElapsedMS}); jerr != nil {
			return jerr
		}
	} else {
		state := "complete"
		if err != nil {
			state = "stopped early"
		}
		if perr := printPrune(out, rows, "DELETED", fmt.Sprintf("pruned %d rows in %d batches, %s (%s)", res.Total(), res.Batches,
			(time.Duration(res.ElapsedMS)*time.Millisecond).String(), state)); perr != nil {
			return perr
		}
	}
	if err != nil {
		return fmt.Errorf("prune stopped after deleting %d rows: %w", res.Total(), err)
	}
	return nil
}

func printPrune(out io.Writer, rows []pruneRow, what, summary string) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "TABLE\tHORIZON\tOLDER THAN\t%s\n", what)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", r.Table, r.Horizon, r.Before.UTC().Format(time.RFC3339), r.Rows)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, summary)
	return nil
}

// pruneJob is one prune job of `prune --last`.
type pruneJob struct {
	ID          int64                   `json:"id"`
	State       string                  `json:"state"`
	Attempt     int                     `json:"attempt"`
	CreatedAt   time.Time               `json:"created_at"`
	FinalizedAt *time.Time              `json:"finalized_at,omitempty"`
	Output      *workers.PruneResult    `json:"output,omitempty"`
	LastError   *rivertype.AttemptError `json:"last_error,omitempty"`
}

func pruneLast(cmd *cobra.Command, d *deps, limit int, asJSON bool) error {
	params := river.NewJobListParams().Kinds(workers.PruneOperationalTablesArgs{}.Kind()).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	res, err := d.river.JobList(cmd.Context(), params)
	if err != nil {
		return fmt.Errorf("list prune jobs: %w", err)
	}
	jobs := make([]pruneJob, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		pj := pruneJob{ID: j.ID, State: string(j.State), Attempt: j.Attempt, CreatedAt: j.CreatedAt, FinalizedAt: j.FinalizedAt}
		if raw := j.Output(); len(raw) > 0 {
			var r workers.PruneResult
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("job %d: output %s: %w", j.ID, raw, err)
			}
			pj.Output = &r
		}
		if len(j.Errors) > 0 {
			pj.LastError = &j.Errors[len(j.Errors)-1]
		}
		jobs = append(jobs, pj)
	}
	out := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(out, jobs)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(out, "no prune jobs kept (River keeps completed jobs 24 hours; is a worker running?)")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "JOB\tSTATE\tFINISHED")
	for _, table := range store.PruneTables {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(table))
	}
	fmt.Fprint(tw, "\tCOMPLETE\tTOOK\n")
	for _, j := range jobs {
		finished := "-"
		if j.FinalizedAt != nil {
			finished = j.FinalizedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s", j.ID, j.State, finished)
		for _, table := range store.PruneTables {
			if j.Output == nil {
				fmt.Fprint(tw, "\t-")
			} else {
				fmt.Fprintf(tw, "\t%d", j.Output.Deleted[table])
			}
		}
		if j.Output == nil {
			fmt.Fprint(tw, "\t-\t-\n")
		} else {
			fmt.Fprintf(tw, "\t%t\t%s\n", j.Output.Complete, time.Duration(j.Output.ElapsedMS)*time.Millisecond)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, j := range jobs {
		if j.LastError != nil {
			fmt.Fprintf(out, "job %d attempt %d: %s\n", j.ID, j.LastError.Attempt, j.LastError.Error)
		}
	}
	return nil
}
