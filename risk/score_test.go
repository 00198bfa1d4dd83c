package risk_test

import (
	"math"
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"trustdocs/risk"
)

func counters(t *rapid.T) risk.Counters {
	n := rapid.IntRange(-3, 5000) // negative counters cannot come from the ledger, but must stay bounded
	return risk.Counters{
		DisputesOpened: n.Draw(t, "disputes"), RefundsAsked: n.Draw(t, "refunds"), Cancellations: n.Draw(t, "cancellations"),
		LateDelivery: n.Draw(t, "late"), ChargeFailures: n.Draw(t, "charge_failures"), BadClicks: n.Draw(t, "bad_clicks"),
		Volume: rapid.IntRange(-3, 20000).Draw(t, "volume"),
	}
}

// bumps add one to each counter in turn, naming it.
var bumps = map[string]func(*risk.Counters){
	"disputes_opened": func(c *risk.Counters) { c.DisputesOpened++ },
	"refunds_asked":   func(c *risk.Counters) { c.RefundsAsked++ },
	"cancellations":   func(c *risk.Counters) { c.Cancellations++ },
	"late_delivery":   func(c *risk.Counters) { c.LateDelivery++ },
	"charge_failures": func(c *risk.Counters) { c.ChargeFailures++ },
	"bad_clicks":      func(c *risk.Counters) { c.BadClicks++ },
}

func TestScoreIsBounded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if s := risk.V1.Score(counters(t)).Score; s < 0 || s > 100 {
			t.Fatalf("score %d outside 0..100", s)
		}
	})
}

func TestOneMoreBadEventNeverRaisesTheScore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := counters(t)
		before := risk.V1.Score(c).Score
		for name, bump := range bumps {
			d := c
			bump(&d)
			if after := risk.V1.Score(d).Score; after > before {
				t.Fatalf("one more %s raised the score %d -> %d (%+v)", name, before, after, c)
			}
		}
	})
}

func TestOneMoreCompletedBookingNeverLowersTheScore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := counters(t)
		d := c
		d.Volume++
		if before, after := risk.V1.Score(c).Score, risk.V1.Score(d).Score; after < before {
			t.Fatalf("one more completed booking lowered the score %d -> %d (%+v)", before, after, c)
		}
	})
}

func TestInsufficientDataExactlyBelowTheMinimumSample(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := counters(t)
		r := risk.V1.Score(c)
		if r.Insufficient != (c.Volume < risk.V1.MinSample) {
			t.Fatalf("volume %d (min %d): insufficient_data=%v", c.Volume, risk.V1.MinSample, r.Insufficient)
		}
		if r.Policy != risk.V1.Version {
			t.Fatalf("policy %q", r.Policy)
		}
	})
}

func TestScoreIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := counters(t)
		if a, b := risk.V1.Score(c), risk.V1.Score(c); !reflect.DeepEqual(a, b) {
			t.Fatalf("same counters, different results: %+v vs %+v", a, b)
		}
	})
}

func TestContributionsExplainTheScore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := counters(t)
		r := risk.V1.Score(c)
		total := 0.0
		for _, k := range r.Contributions {
			if k.Count <= 0 || k.Penalty < 0 || k.Reason == "" {
				t.Fatalf("contribution %+v", k)
			}
			total += k.Penalty
		}
		// Each penalty is rounded to 2 decimals, so the sum may be off by a rounding step.
		want := math.Max(0, 100-total)
		if math.Abs(float64(r.Score)-want) > 1 {
			t.Fatalf("score %d but contributions total %.2f", r.Score, total)
		}
	})
}

// The README's worked examples ("Risk score"), one by one.
func TestReadmeWorkedExamples(t *testing.T) {
	for _, tc := range []struct {
		name         string
		c            risk.Counters
		score        int
		insufficient bool
		reasons      []string
	}{
		{"clean record", risk.Counters{Volume: 12}, 100, false, nil},
		{"one dispute and two late deliveries in 40 bookings", risk.Counters{Volume: 40, DisputesOpened: 1, LateDelivery: 2}, 83, false,
			[]string{"DISPUTES", "LATE_DELIVERY"}},
		{"three disputes and five charge failures in 20 bookings", risk.Counters{Volume: 20, DisputesOpened: 3, ChargeFailures: 5}, 45, false,
			[]string{"DISPUTES", "CHARGE_FAILURES"}},
		{"one cancellation in 3 bookings", risk.Counters{Volume: 3, Cancellations: 1}, 91, true, []string{"CANCELLATIONS"}},
		{"everything saturated", risk.Counters{Volume: 5, DisputesOpened: 5, RefundsAsked: 5, Cancellations: 5, LateDelivery: 5,
			ChargeFailures: 5, BadClicks: 50}, 0, false,
			[]string{"DISPUTES", "CHARGE_FAILURES", "REFUNDS", "CANCELLATIONS", "LATE_DELIVERY", "BAD_CLICKS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := risk.V1.Score(tc.c)
			var reasons []string
			for _, k := range r.Contributions {
				reasons = append(reasons, k.Reason)
			}
			if r.Score != tc.score || r.Insufficient != tc.insufficient || !reflect.DeepEqual(reasons, tc.reasons) {
				t.Fatalf("got score %d insufficient %v reasons %v; README says %d %v %v", r.Score, r.Insufficient, reasons,
					tc.score, tc.insufficient, tc.reasons)
			}
		})
	}
}
