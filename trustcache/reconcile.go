package trustcache

import (
	"context"
	"time"

	"trustdocs/store"
	"trustdocs/trust"
)

// Reconciler compares trust_cache items with PostgreSQL and repairs the ones that differ.
type Reconciler struct {
	DB     store.DB
	Writer Writer
	Now    func() time.Time
	// Progress, if set, is called after each user.
	Progress func(done, total int)
}

// ReconcileReport counts what reconcile found; Repaired lists the users it rewrote.
type ReconcileReport struct {
	Checked  int      `json:"checked"`
	OK       int      `json:"ok"`
	Missing  int      `json:"missing"`  // no item: written
	Differed int      `json:"differed"` // item says something PostgreSQL does not: rewritten
	Ahead    int      `json:"ahead"`    // item has a version PostgreSQL never issued: rewritten above it
	Orphaned int      `json:"orphaned"` // --all: items of users PostgreSQL has no trust state for: deleted
	Repaired []string `json:"repaired"`
}

// Users reconciles the given users.
func (r Reconciler) Users(ctx context.Context, users []string) (ReconcileReport, error) {
	rep := ReconcileReport{Repaired: []string{}}
	for i, u := range users {
		if err := r.one(ctx, u, &rep); err != nil {
			return rep, err
		}
		if r.Progress != nil {
			r.Progress(i+1, len(users))
		}
	}
	return rep, nil
}

// All reconciles every user PostgreSQL has a trust state for, then deletes the items of
// users it has none for.
func (r Reconciler) All(ctx context.Context) (ReconcileReport, error) {
	users, err := store.TrustUsers(ctx, r.DB)
	if err != nil {
		return ReconcileReport{}, err
	}
	rep, err := r.Users(ctx, users)
	if err != nil {
		return rep, err
	}
	known := make(map[string]bool, len(users))
	for _, u := range users {
		known[u] = true
	}
	deleted, err := r.Writer.Table.deleteExcept(ctx, known)
	rep.Orphaned += len(deleted)
	rep.Repaired = append(rep.Repaired, deleted...)
	return rep, err
}

func (r Reconciler) one(ctx context.Context, user string, rep *ReconcileReport) error {
	rep.Checked++
	now := r.now()
	state, err := store.LoadTrustState(ctx, r.DB, user, r.Writer.WindowDays, now)
	if err != nil {
		return err
	}
	want := trust.Item(state, now)
	got, found, err := r.Writer.Table.Get(ctx, user)
	if err != nil {
		return err
	}
	switch {
	case !found:
		rep.Missing++
	case got.Version > want.Version:
		rep.Ahead++
	case !trust.Same(got, want):
		rep.Differed++
	default:
		rep.OK++
		return nil
	}
	// Repair with a new version: the conditional write then wins over the wrong item
	// and still loses to any newer refresh, and versions keep only growing.
	if err := store.InTx(ctx, r.DB, func(tx store.Tx) error {
		_, err := store.SetTrustVersionAtLeastTx(ctx, tx, user, max(got.Version, want.Version)+1)
		return err
	}); err != nil {
		return err
	}
	if _, _, err := r.Writer.Write(ctx, r.DB, user, now); err != nil { // refused as stale: a newer refresh won
		return err
	}
	rep.Repaired = append(rep.Repaired, user)
	return nil
}

func (r Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}
