package risk

import "time"

// Window is a risk window of whole UTC days, [Start, End).
type Window struct {
	Start, End time.Time
}

func (w Window) String() string {
	return "[" + w.Start.Format(time.DateOnly) + "," + w.End.Format(time.DateOnly) + ")"
}

// Days is the window's length.
func (w Window) Days() int { return int(w.End.Sub(w.Start).Hours() / 24) }

// RollingWindows are the windows of the given lengths that end with the day of now: the
// last n days, today included, so today's events count at once.
func RollingWindows(days []int, now time.Time) []Window {
	end := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	out := make([]Window, 0, len(days))
	for _, d := range days {
		out = append(out, Window{Start: end.AddDate(0, 0, -d), End: end})
	}
	return out
}

// Snapshot is one user's scored window (a trust_risk_signal row).
type Snapshot struct {
	SignalID, UserID string
	Window           Window
	Counters         Counters
	Result           Result // flags_json
}

// HasData reports whether anything was counted in the window.
func (s Snapshot) HasData() bool {
	c := s.Counters
	return c.Volume+c.DisputesOpened+c.RefundsAsked+c.Cancellations+c.LateDelivery+c.ChargeFailures+c.BadClicks > 0
}
