package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// RegisterBackgroundCheckArgs records a trust.background_check.requested event: which
// user a provider's candidate is, so that provider's webhooks can be applied.
type RegisterBackgroundCheckArgs struct {
	EventID string                        `json:"event_id"`
	Request events.BackgroundCheckRequest `json:"request"`
	At      time.Time                     `json:"at"`
}

func (RegisterBackgroundCheckArgs) Kind() string { return "register_background_check" }

func (a RegisterBackgroundCheckArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.EventID, UserIDs: []string{a.Request.UserID}, CandidateID: a.Request.CandidateID}
}

func (RegisterBackgroundCheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTrust}
}

// RegisterBackgroundCheckWorker stores the candidate mapping and the check's first
// status (`invited`) in one transaction with the trust version bump.
type RegisterBackgroundCheckWorker struct {
	river.WorkerDefaults[RegisterBackgroundCheckArgs]
	deps *Deps
}

func (w *RegisterBackgroundCheckWorker) Work(ctx context.Context, job *river.Job[RegisterBackgroundCheckArgs]) error {
	r := job.Args.Request
	log := w.deps.Log.With().Str("event_id", job.Args.EventID).Str("user_id", r.UserID).Str("provider", r.Provider).
		Str("candidate_id", r.CandidateID).Int64("job_id", job.ID).Logger()
	return trustJobTx(ctx, w.deps, job, r.UserID, log, func(tx store.Tx) (bool, error) {
		created, err := store.RegisterCandidateTx(ctx, tx, store.BGCandidate{Provider: r.Provider, CandidateID: r.CandidateID,
			UserID: r.UserID, Package: r.Package, InvitationID: r.InvitationID, RequestedAt: job.Args.At}, BGID(r.UserID, r.CandidateID))
		if created {
			log.Info().Msg("background check registered: invited")
		}
		return created, err
	})
}

// BGID is the bg_status id of a user's check with a provider's candidate.
func BGID(userID, candidateID string) string { return "bg_" + shortHash(userID+"\x00"+candidateID) }
