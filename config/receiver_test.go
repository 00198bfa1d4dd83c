package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/config"
)

func TestReceiverLimitsHaveDefaultsAndAreRead(t *testing.T) {
	t.Parallel()
	c, err := config.LoadFrom(env(nil))
	require.NoError(t, err)
	require.Equal(t, config.Receiver{ReadTimeout: 10 * time.Second, WriteTimeout: 20 * time.Second, IdleTimeout: 75 * time.Second,
		MaxInflight: 1024, MaxUnverified: 512}, c.Receiver)

	c, err = config.LoadFrom(env(map[string]string{"RECEIVER_READ_TIMEOUT": "2s", "RECEIVER_WRITE_TIMEOUT": "1m",
		"RECEIVER_IDLE_TIMEOUT": "30s", "RECEIVER_MAX_INFLIGHT_PER_PROVIDER": "64", "RECEIVER_MAX_UNVERIFIED_PER_PROVIDER": "32"}))
	require.NoError(t, err)
	require.Equal(t, config.Receiver{ReadTimeout: 2 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 30 * time.Second,
		MaxInflight: 64, MaxUnverified: 32}, c.Receiver)
}

// The write deadline runs from the end of the headers, through the body's reading: a
// write timeout no longer than the read timeout could not answer a body that took it.
func TestReceiverWriteTimeoutMustExceedTheReadTimeout(t *testing.T) {
	t.Parallel()
	_, err := config.LoadFrom(env(map[string]string{"RECEIVER_READ_TIMEOUT": "30s", "RECEIVER_WRITE_TIMEOUT": "30s"}))
	require.ErrorContains(t, err, "RECEIVER_WRITE_TIMEOUT=30s: must exceed RECEIVER_READ_TIMEOUT=30s")
	_, err = config.LoadFrom(env(map[string]string{"RECEIVER_MAX_INFLIGHT_PER_PROVIDER": "0", "RECEIVER_IDLE_TIMEOUT": "never"}))
	require.ErrorContains(t, err, "RECEIVER_MAX_INFLIGHT_PER_PROVIDER")
	require.ErrorContains(t, err, "RECEIVER_IDLE_TIMEOUT")
}
