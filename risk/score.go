// Package risk scores a user's risk window: six signal counters normalized by the
// user's completed bookings in the window, under a versioned policy whose weights live
// here and nowhere else. It is pure: the same counters always give the same result.
package risk

import (
	"math"
)

// Counters are one user's counts in one window.
type Counters struct {
	DisputesOpened int `json:"disputes_opened"`
	RefundsAsked   int `json:"refunds_asked"`
	Cancellations  int `json:"cancellations"`
	LateDelivery   int `json:"late_delivery"`
	ChargeFailures int `json:"charge_failures"`
	BadClicks      int `json:"bad_clicks"`
	// Volume is the completed bookings in the window: the denominator of every rate.
	Volume int `json:"volume"`
}

// Signal is one counter's weight in a policy.
type Signal struct {
	Name   string // the trust_risk_signal column
	Reason string // the reason code support reads
	// Weight is the most points this signal can take off the score.
	Weight float64
	// Saturation is the rate (per smoothed booking) at which the signal takes its whole
	// weight; below it the penalty grows linearly with the rate.
	Saturation float64
	count      func(Counters) int
}

// Policy is a versioned scoring rule. Change any number and you must change Version:
// snapshots record the version they were scored with.
type Policy struct {
	Version string
	// MinSample is the completed bookings below which a window has insufficient data:
	// its snapshot is still stored (counters are facts) but says so, and carries no
	// usable score.
	MinSample int
	// Prior is added to the volume in every rate: c / (volume + Prior). It damps the
	// extreme rates of small samples (1 dispute in 5 bookings is not 20%) and, unlike
	// a Wilson bound, keeps the score exactly monotone in every counter and in volume.
	Prior   float64
	Signals []Signal
}

// V1 is the current policy; README.md ("Risk score") works through examples of it, and
// those examples are tests. The weights add up to 100, so the score is 100 minus the
// penalties, never below 0.
var V1 = Policy{
	Version:   "risk-v1",
	MinSample: 5,
	Prior:     5,
	Signals: []Signal{
		{"disputes_opened", "DISPUTES", 35, 0.05, func(c Counters) int { return c.DisputesOpened }},
		{"charge_failures", "CHARGE_FAILURES", 20, 0.10, func(c Counters) int { return c.ChargeFailures }},
		{"refunds_asked", "REFUNDS", 15, 0.15, func(c Counters) int { return c.RefundsAsked }},
		{"cancellations", "CANCELLATIONS", 15, 0.20, func(c Counters) int { return c.Cancellations }},
		{"late_delivery", "LATE_DELIVERY", 10, 0.25, func(c Counters) int { return c.LateDelivery }},
		{"bad_clicks", "BAD_CLICKS", 5, 1.00, func(c Counters) int { return c.BadClicks }},
	},
}

// Contribution is what one signal took off the score, for flags_json.
type Contribution struct {
	Signal  string  `json:"signal"`
	Reason  string  `json:"reason"`
	Count   int     `json:"count"`
	Rate    float64 `json:"rate"`    // count / (volume + prior), 4 decimals
	Penalty float64 `json:"penalty"` // points taken off, 2 decimals
}

// Result is a scored window: Score is 0–100, lower is riskier.
type Result struct {
	Score         int            `json:"score"`
	Insufficient  bool           `json:"insufficient_data"`
	Policy        string         `json:"policy"`
	Volume        int            `json:"volume"`
	MinSample     int            `json:"min_sample"`
	Contributions []Contribution `json:"contributions"` // the signals that took points, heaviest first
}

// Score applies the policy. Negative counters (impossible from the ledger) count as 0,
// so the result is bounded for every input.
func (p Policy) Score(c Counters) Result {
	volume := max(c.Volume, 0)
	r := Result{Policy: p.Version, Volume: volume, MinSample: p.MinSample, Insufficient: volume < p.MinSample,
		Contributions: []Contribution{}}
	total := 0.0
	for _, s := range p.Signals {
		n := max(s.count(c), 0)
		if n == 0 {
			continue
		}
		rate := float64(n) / (float64(volume) + p.Prior)
		penalty := s.Weight * math.Min(1, rate/s.Saturation)
		total += penalty
		r.Contributions = append(r.Contributions, Contribution{Signal: s.Name, Reason: s.Reason, Count: n,
			Rate: round(rate, 4), Penalty: round(penalty, 2)})
	}
	// Contributions stay in policy order (heaviest weight first): stable for support and
	// for the snapshot's "changed?" comparison.
	r.Score = int(math.Max(0, math.Min(100, math.Round(100-total))))
	return r
}

func round(x float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(x*f) / f
}
