package consumer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/consumer"
)

func TestBackoffGrowsIsCappedAndJittered(t *testing.T) {
	t.Parallel()
	base, max := 5*time.Second, 15*time.Minute
	low, high := func() float64 { return 0 }, func() float64 { return 0.999999 }
	// Equal jitter: between half and all of base·2^(n-1).
	require.Equal(t, 3*time.Second, consumer.Backoff(1, base, max, low)) // 2.5s rounds to 3s
	require.Equal(t, 5*time.Second, consumer.Backoff(1, base, max, high))
	require.Equal(t, 5*time.Second, consumer.Backoff(2, base, max, low))
	require.Equal(t, 10*time.Second, consumer.Backoff(2, base, max, high))
	require.Equal(t, 40*time.Second, consumer.Backoff(5, base, max, low))
	require.Equal(t, max, consumer.Backoff(50, base, max, high), "capped")
	require.Equal(t, max/2, consumer.Backoff(50, base, max, low))
	require.Equal(t, time.Second, consumer.Backoff(0, 10*time.Millisecond, max, low), "at least a second: SQS counts whole seconds")
	prev := time.Duration(0)
	for n := 1; n < 20; n++ {
		d := consumer.Backoff(n, base, max, high)
		require.GreaterOrEqual(t, d, prev, "never shrinks as the receive count grows")
		prev = d
	}
}
