package trace

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"trustdocs/esign"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// StuckPack is a pack that has not moved on, with why, as far as the pipeline knows.
type StuckPack struct {
	PackID string    `json:"pack_id"`
	LegID  string    `json:"leg_id"`
	Status string    `json:"status"` // draft or issued
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"` // the last error of a job that gave up or keeps failing, or what the pack waits for
}

// Stuck lists the packs draft since before draftBefore or issued since before
// issuedBefore, each with its reason: a job of its documents that was cancelled,
// discarded or keeps failing (its last error), a provider's refusal of a send, or else
// what the pack is waiting for.
func Stuck(ctx context.Context, src Sources, draftBefore, issuedBefore time.Time) ([]StuckPack, error) {
	packs, err := store.StuckPacks(ctx, src.DB, draftBefore, issuedBefore)
	if err != nil {
		return nil, err
	}
	out := make([]StuckPack, 0, len(packs))
	for _, p := range packs {
		reason, err := stuckReason(ctx, src, p)
		if err != nil {
			return nil, err
		}
		out = append(out, StuckPack{PackID: p.PackID, LegID: p.LegID, Status: p.Status, Since: p.Since, Reason: reason})
	}
	return out, nil
}

func stuckReason(ctx context.Context, src Sources, p store.StuckPack) (string, error) {
	docs, err := store.PackDocIDs(ctx, src.DB, p.PackID)
	if err != nil {
		return "", err
	}
	waiting := map[string]int{}
	for _, id := range docs {
		d, err := store.DocByID(ctx, src.DB, id)
		if err != nil {
			return "", err
		}
		if d.EnvelopeError != "" {
			return fmt.Sprintf("%s: the e-sign provider refused the send: %s", id, d.EnvelopeError), nil
		}
		if why, err := failingJob(ctx, src, id); err != nil || why != "" {
			return why, err
		}
		switch {
		case d.RenderSHA256 == nil:
			waiting["to be rendered"]++
		case d.EnvelopeStatus == "none":
			waiting["to be sent"]++
		case d.EnvelopeStatus == "sent":
			waiting["for its signers"]++
		case d.EnvelopeStatus == "completed" && d.SignedSHA256 == nil && esign.KeepsExecutedCopy(d.EnvelopeProvider):
			waiting["for its executed copy"]++
		}
	}
	var parts []string
	for _, w := range []string{"to be rendered", "to be sent", "for its signers", "for its executed copy"} {
		if n := waiting[w]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d document(s) waiting %s", n, w))
		}
	}
	if len(parts) == 0 {
		return "no job of its documents failed", nil
	}
	return strings.Join(parts, ", "), nil
}

// failingJob is the newest job of a document that gave up or keeps failing, as
// "kind state (attempt n): last error"; "" when none.
func failingJob(ctx context.Context, src Sources, docID string) (string, error) {
	if src.Jobs == nil {
		return "", nil
	}
	res, err := src.Jobs.JobList(ctx, river.NewJobListParams().Metadata(jobmeta.Meta{DocID: docID}.JSON()).
		States(rivertype.JobStateCancelled, rivertype.JobStateDiscarded, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1))
	if err != nil {
		return "", fmt.Errorf("jobs of %s: %w", docID, err)
	}
	if len(res.Jobs) == 0 {
		return "", nil
	}
	j := res.Jobs[0]
	last := "no error recorded"
	if n := len(j.Errors); n > 0 {
		last = firstLine(j.Errors[n-1].Error)
	}
	return fmt.Sprintf("%s: %s job %d %s (attempt %d): %s", docID, j.Kind, j.ID, j.State, j.Attempt, last), nil
}
