package testkit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"trustdocs/store"
)

// RiskLedger gives users usr_0 … usr_{users-1} a risk ledger of perUser rows each, one
// every 36 hours back from now, in a realistic mix (half completed bookings, then a
// dispute, a late delivery, a bad click): the data the risk and cache benchmarks run on.
func RiskLedger(tb testing.TB, db store.DB, users, perUser int) {
	tb.Helper()
	kinds := []string{"completed_booking", "completed_booking", "completed_booking", "disputes_opened", "late_delivery", "bad_clicks"}
	now := time.Now().UTC()
	rows := make([]store.RiskEvent, 0, users*perUser)
	for u := range users {
		for e := range perUser {
			rows = append(rows, store.RiskEvent{EventID: fmt.Sprintf("evt_%d_%d", u, e), UserID: fmt.Sprintf("usr_%d", u),
				Kind: kinds[e%len(kinds)], OccurredAt: now.Add(-time.Duration(e) * 36 * time.Hour)})
		}
	}
	ctx := context.Background()
	if err := store.InTx(ctx, db, func(tx store.Tx) error { _, err := store.InsertRiskEventsTx(ctx, tx, rows); return err }); err != nil {
		tb.Fatalf("risk ledger: %v", err)
	}
}
