package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// JobCount is how many River jobs of a kind are in a state.
type JobCount struct {
	State, Kind string
	Count       int
}

// FailedJobStates are the states of jobs that failed and are not done: discarded (out
// of attempts) and retryable (failing, to be retried). They need someone's attention.
var FailedJobStates = []string{"discarded", "retryable"}

// AttentionJobStates are the states the alerts watch: FailedJobStates, and cancelled
// (a job that gave up on purpose: the same input will always fail, a provider refused
// it for good), which nothing retries and someone must look at.
var AttentionJobStates = []string{"discarded", "retryable", "cancelled"}

// FailedJobCounts counts the jobs in AttentionJobStates by state and kind, for alerts.
// River's client has no count, so this reads river_job directly.
func FailedJobCounts(ctx context.Context, q Querier) ([]JobCount, error) {
	rows, err := q.Query(ctx, `
		select state::text, kind, count(*)::int from river_job
		where state::text = any($1) group by 1, 2 order by 1, 2`, AttentionJobStates)
	if err != nil {
		return nil, fmt.Errorf("failed jobs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[JobCount])
}
