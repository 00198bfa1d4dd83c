package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"trustdocs/dlq"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

func jobsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List and retry River jobs (failed renders, envelopes, webhooks, publishes)",
		Long: `jobs works on the River jobs the worker runs, through River's own client: a job that
keeps failing is "retryable" (River tries again with backoff) until its attempts run out
and it is "discarded"; a job that can never succeed is "cancelled".`,
	}
	cmd.AddCommand(jobsListCmd(), jobsRetryCmd())
	return cmd
}

func parseStates(ss []string) ([]rivertype.JobState, error) {
	var out []rivertype.JobState
	for _, s := range ss {
		st := rivertype.JobState(s)
		if !slices.Contains(rivertype.JobStates(), st) {
			return nil, fmt.Errorf("--state %q: want discarded, retryable, cancelled, running, available, scheduled or completed", s)
		}
		out = append(out, st)
	}
	return out, nil
}

func jobsListCmd() *cobra.Command {
	var states, kinds []string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--state discarded|retryable] [--kind K]",
		Short: "Jobs that failed (discarded and retryable by default), newest first, with their last error",
		Example: `  pipelinectl jobs list
  pipelinectl jobs list --state discarded --kind render_document`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := parseStates(states)
			if err != nil {
				return err
			}
			d, closeDeps, err := open(cmd, needRiver)
			defer closeDeps()
			if err != nil {
				return err
			}
			params := river.NewJobListParams().States(st...).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
			if len(kinds) > 0 {
				params = params.Kinds(kinds...)
			}
			res, err := d.river.JobList(cmd.Context(), params)
			if err != nil {
				return fmt.Errorf("list jobs: %w", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				type jobView struct {
					ID          int64                    `json:"id"`
					Kind        string                   `json:"kind"`
					State       string                   `json:"state"`
					Queue       string                   `json:"queue"`
					Attempt     int                      `json:"attempt"`
					MaxAttempts int                      `json:"max_attempts"`
					Subject     string                   `json:"subject,omitempty"`
					Args        json.RawMessage          `json:"args"`
					Errors      []rivertype.AttemptError `json:"errors,omitempty"`
					CreatedAt   time.Time                `json:"created_at"`
					AttemptedAt *time.Time               `json:"attempted_at,omitempty"`
					FinalizedAt *time.Time               `json:"finalized_at,omitempty"`
					ScheduledAt time.Time                `json:"scheduled_at"`
				}
				views := make([]jobView, 0, len(res.Jobs))
				for _, j := range res.Jobs {
					views = append(views, jobView{j.ID, j.Kind, string(j.State), j.Queue, j.Attempt, j.MaxAttempts, jobSubject(j.Metadata),
						j.EncodedArgs, j.Errors, j.CreatedAt, j.AttemptedAt, j.FinalizedAt, j.ScheduledAt})
				}
				return writeJSON(out, views)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSTATE\tATTEMPTS\tSUBJECT\tLAST ERROR")
			for _, j := range res.Jobs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts, jobSubject(j.Metadata), lastError(j))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(res.Jobs) == limit {
				fmt.Fprintf(out, "(first %d shown; --limit shows more)\n", limit)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", store.FailedJobStates, "job state (repeatable)")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "job kind, e.g. render_document (repeatable)")
	cmd.Flags().IntVar(&limit, "limit", 50, "most jobs to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func jobsRetryCmd() *cobra.Command {
	var kinds, states []string
	var reason, actor string
	cmd := &cobra.Command{
		Use:   "retry <id>... | --kind K",
		Short: "Make failed jobs available to run again now (by id, or every failed job of a kind)",
		Long: `retry makes jobs available again at once through River's JobRetry (a discarded job
gets one more attempt). By id, or with --kind every job of those kinds in the
--state given (default discarded and retryable). Jobs are idempotent, so retrying one
that half-ran adds nothing twice. Every retry is recorded in ops_action with who and
why, and each job id in ops_action_item.`,
		Example: `  pipelinectl jobs retry 4182
  pipelinectl jobs retry --kind render_document --reason "bucket policy fixed"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 0) == (len(kinds) == 0) {
				return errors.New("give job ids or --kind, not both")
			}
			var ids []int64
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return fmt.Errorf("job id %q: not a number", a)
				}
				ids = append(ids, id)
			}
			st, err := parseStates(states)
			if err != nil {
				return err
			}
			who, err := requireActor(actor)
			if err != nil {
				return err
			}
			d, closeDeps, err := open(cmd, needRiver)
			defer closeDeps()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if len(kinds) > 0 {
				params := river.NewJobListParams().States(st...).Kinds(kinds...).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1000)
				for {
					res, err := d.river.JobList(ctx, params)
					if err != nil {
						return fmt.Errorf("list jobs: %w", err)
					}
					for _, j := range res.Jobs {
						ids = append(ids, j.ID)
					}
					if len(res.Jobs) < 1000 {
						break
					}
					params = params.After(res.LastCursor)
				}
			}
			if len(ids) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no %s jobs of kind %s: nothing to retry\n", strings.Join(states, " or "), strings.Join(kinds, ", "))
				return nil
			}
			if reason == "" {
				reason = "(no reason given)"
			}
			actionID := dlq.NewActionID("rty")
			filter := map[string]string{}
			if len(kinds) > 0 {
				filter["kind"], filter["state"] = strings.Join(kinds, ","), strings.Join(states, ",")
			}
			if err := store.StartOpsAction(ctx, d.pool, store.OpsAction{ActionID: actionID, Action: "job_retry", Actor: who,
				Reason: reason, Filter: filter}); err != nil {
				return err
			}
			// Recorded even when the command is interrupted (a cancelled ctx would leave the
			// action unfinished).
			defer func() { _ = store.FinishOpsAction(context.WithoutCancel(ctx), d.pool, actionID) }()
			out := cmd.OutOrStdout()
			n := 0
			for _, id := range ids {
				j, err := d.river.JobRetry(ctx, id)
				if errors.Is(err, river.ErrNotFound) {
					return fmt.Errorf("job %d not found", id)
				}
				if err != nil {
					return fmt.Errorf("retry job %d: %w", id, err)
				}
				if err := store.RecordOpsItem(ctx, d.pool, store.OpsItem{ActionID: actionID, ItemID: strconv.FormatInt(id, 10), EventType: j.Kind}); err != nil {
					return err
				}
				n++
				fmt.Fprintf(out, "retry %4d  job %d %s now %s\n", n, j.ID, j.Kind, j.State)
			}
			fmt.Fprintf(out, "retry %s by %s: %d job(s) made available\n", actionID, who, n)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "retry every failed job of this kind (repeatable)")
	cmd.Flags().StringSliceVar(&states, "state", store.FailedJobStates, "with --kind: which states")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded)")
	cmd.Flags().StringVar(&actor, "actor", "", "who (recorded; default $TRUSTDOCS_ACTOR, else the OS user)")
	return cmd
}

func lastError(j *rivertype.JobRow) string {
	if len(j.Errors) == 0 {
		return ""
	}
	e := j.Errors[len(j.Errors)-1]
	msg := strings.ReplaceAll(e.Error, "\n", " ")
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return fmt.Sprintf("%s (attempt %d, %s)", msg, e.Attempt, e.At.UTC().Format(time.RFC3339))
}

// jobSubject is the id a job is about, from the ids it carries in its metadata
// (jobmeta): its document, else its event, else its user or candidate.
func jobSubject(metadata []byte) string {
	m := jobmeta.Of(metadata)
	switch {
	case m.DocID != "":
		return m.DocID
	case m.EventID != "":
		return m.EventID
	case len(m.UserIDs) > 0:
		return strings.Join(m.UserIDs, ",")
	}
	return m.CandidateID
}
