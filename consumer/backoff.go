package consumer

import (
	"context"
	"time"
)

// Backoff is the visibility delay before the n-th retry: base·2^(n-1), capped at max,
// with equal jitter (half fixed, half random) so a burst of failures spreads out.
func Backoff(n int, base, max time.Duration, rnd func() float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	j := d/2 + time.Duration(rnd()*float64(d/2))
	return max2s(j)
}

// max2s keeps a delay at SQS's granularity (whole seconds, at least 1).
func max2s(d time.Duration) time.Duration {
	d = d.Round(time.Second)
	if d < time.Second {
		return time.Second
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
