package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/apierror"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// VerifyAgeArgs asks an identity provider's API whether a passed session verified an
// adult's date of birth, for a session whose webhook did not say (Stripe's events never
// do; some Persona payloads do not). It carries ids only.
type VerifyAgeArgs struct {
	EventID     string    `json:"event_id"` // the webhook event that passed the session
	UserID      string    `json:"user_id"`
	Provider    string    `json:"provider"`     // persona, stripe_identity
	ProviderRef string    `json:"provider_ref"` // inquiry or verification session id
	At          time.Time `json:"at"`           // when the session was decided: the age is as of then
}

func (VerifyAgeArgs) Kind() string { return "verify_age" }

func (a VerifyAgeArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.EventID, UserIDs: []string{a.UserID}}
}

// On the providers queue, whose concurrency is capped: a slow or rate-limiting provider
// API never delays other users' events.
func (VerifyAgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueProviders, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Reasons an identity stays without a verified age, the values of
// trustdocs_identity_age_unverified_total's reason label.
const (
	AgeNoAPIKey    = "no_api_key"       // the provider's API key is not configured
	AgeNoBirthdate = "no_birthdate"     // the provider verified no date of birth
	AgeUnderAge    = "under_age"        // the date of birth shows a minor
	AgeRefused     = "provider_refused" // the provider's API refused the retrieve for good
)

// VerifyAgeWorker retrieves the session through Deps.AgeCheckers (the date of birth is
// read and dropped inside the client), and on an adult sets age_verified, which can then
// issue id_verified (and trusted_pro resting on it), in the job's transaction. Every
// other outcome is counted and logged with its reason, and recorded as the job's output,
// which `pipelinectl trace USER_ID` shows.
type VerifyAgeWorker struct {
	river.WorkerDefaults[VerifyAgeArgs]
	deps *Deps
}

func (w *VerifyAgeWorker) Work(ctx context.Context, job *river.Job[VerifyAgeArgs]) error {
	a := job.Args
	log := w.deps.Log.With().Str("user_id", a.UserID).Str("provider", a.Provider).Str("provider_ref", a.ProviderRef).
		Int64("job_id", job.ID).Logger()
	unverified := func(reason string, cause error) error {
		w.deps.ageUnverified(a.Provider, reason)
		ev := log.Warn().Str("reason", reason)
		if cause != nil {
			ev = ev.Err(cause)
		}
		ev.Msg("identity passed without a verified age")
		return river.RecordOutput(ctx, map[string]string{"outcome": reason})
	}
	checker, ok := w.deps.AgeCheckers[a.Provider]
	if !ok {
		return unverified(AgeNoAPIKey, nil)
	}
	adult, found, err := checker.AgeVerified(ctx, a.ProviderRef, a.At)
	switch {
	case apierror.IsPermanent(err):
		if rerr := unverified(AgeRefused, err); rerr != nil {
			return rerr
		}
		return river.JobCancel(fmt.Errorf("verify age of %s: %w", a.ProviderRef, err))
	case err != nil:
		return fmt.Errorf("verify age of %s: %w", a.ProviderRef, err) // River retries with backoff
	case !found:
		return unverified(AgeNoBirthdate, nil)
	case !adult:
		return unverified(AgeUnderAge, nil)
	}
	if err := river.RecordOutput(ctx, map[string]string{"outcome": "age_verified"}); err != nil {
		return err
	}
	return trustJobTx(ctx, w.deps, job, a.UserID, log, func(tx store.Tx) (bool, error) {
		changed, err := store.UpsertIDVTx(ctx, tx, store.IDVUpdate{IDVID: IDVID(a.UserID, a.ProviderRef), UserID: a.UserID,
			Provider: a.Provider, ProviderRef: a.ProviderRef, AgeVerified: true})
		if err == nil {
			log.Info().Bool("changed", changed).Msg("age verified through the provider's API")
		}
		return changed, err
	})
}

// IDVID is the idv_status id of a user's session with a provider.
func IDVID(userID, providerRef string) string { return "idv_" + shortHash(userID+"\x00"+providerRef) }
