package workers

import (
	"context"

	"github.com/riverqueue/river"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// ApplySocialCheckArgs applies one trust.social_verification.checked event.
type ApplySocialCheckArgs struct {
	EventID string             `json:"event_id"`
	Check   events.SocialCheck `json:"check"`
}

func (ApplySocialCheckArgs) Kind() string { return "apply_social_check" }

func (a ApplySocialCheckArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.EventID, UserIDs: []string{a.Check.UserID}}
}

func (ApplySocialCheckArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueTrust} }

// ApplySocialCheckWorker stores the newest check per user and platform and re-derives
// social_verified: issued (or extended) by a verified check, revoked by an unverified one.
type ApplySocialCheckWorker struct {
	river.WorkerDefaults[ApplySocialCheckArgs]
	deps *Deps
}

func (w *ApplySocialCheckWorker) Work(ctx context.Context, job *river.Job[ApplySocialCheckArgs]) error {
	c := job.Args.Check
	log := w.deps.Log.With().Str("event_id", job.Args.EventID).Str("user_id", c.UserID).Str("platform", c.Platform).
		Int64("job_id", job.ID).Logger()
	return trustJobTx(ctx, w.deps, job, c.UserID, log, func(tx store.Tx) (bool, error) {
		changed, err := store.ApplySocialTx(ctx, tx, store.SocialUpdate{SocID: "soc_" + shortHash(c.UserID+"\x00"+c.Platform),
			UserID: c.UserID, Platform: c.Platform, Handle: c.Handle, Verified: c.Verified, Snapshot: c.Snapshot, CheckedAt: c.CheckedAt})
		if err == nil && !changed {
			log.Info().Msg("an equal or newer check is stored: nothing changed")
		}
		return changed, err
	})
}
