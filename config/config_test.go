package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsPointAtTheLocalStack(t *testing.T) {
	t.Parallel()
	c, err := config.LoadFrom(env(nil))
	require.NoError(t, err)
	require.Equal(t, config.StackLocal, c.Stack)
	require.Equal(t, "postgres://postgres@127.0.0.1:5432/trustdocs?sslmode=disable", c.DatabaseURL)
	require.Equal(t, "docs", c.DocsBucket)
	require.Equal(t, "prod", c.DocsEnv)
	require.Equal(t, "trust_cache", c.TrustCacheTable)
	require.Equal(t, []string{"checkout", "risk-windows", "provider-webhooks"}, c.Queues())
	require.Equal(t, []string{"booking-events", "risk-events", "pipeline-events"}, c.Topics())
	require.Equal(t, "checkout-dlq", c.DLQ(c.CheckoutQueue))
	require.Equal(t, config.Retention{Years: 7}, c.Retention)
	require.Equal(t, "COMPLIANCE", c.RetentionMode)
	require.True(t, c.S3ForcePathStyle, "MinIO needs path-style")
	require.Equal(t, "127.0.0.1:8080", c.ReceiverAddr)
	require.Equal(t, "127.0.0.1:9091", c.WorkerAddr)
}

func TestAWSStackUsesVirtualHostedS3(t *testing.T) {
	t.Parallel()
	c, err := config.LoadFrom(env(map[string]string{"TRUSTDOCS_STACK": "aws"}))
	require.NoError(t, err)
	require.False(t, c.S3ForcePathStyle)
}

func TestWebhookSecretsAllowRotation(t *testing.T) {
	t.Parallel()
	c, err := config.LoadFrom(env(map[string]string{
		"WEBHOOK_SECRET_PERSONA": "old-secret, new-secret", "WEBHOOK_SECRET_CHECKR": "k1",
	}))
	require.NoError(t, err)
	require.Equal(t, []string{"old-secret", "new-secret"}, c.WebhookSecrets["persona"])
	require.Equal(t, []string{"checkr", "persona"}, c.Secrets())
}

func TestBadValuesAreReportedTogetherOnOneLine(t *testing.T) {
	t.Parallel()
	_, err := config.LoadFrom(env(map[string]string{
		"QUEUE_MAX_RECEIVE_COUNT": "0", "SHUTDOWN_GRACE": "soon", "DOCS_RETENTION": "7w",
		"DATABASE_URL": "mysql://x", "DOCS_RETENTION_MODE": "forever", "DOCS_ENV": "/prod/",
	}))
	require.Error(t, err)
	msg := err.Error()
	require.NotContains(t, msg, "\n")
	for _, want := range []string{"QUEUE_MAX_RECEIVE_COUNT", "SHUTDOWN_GRACE", "DOCS_RETENTION:", "DATABASE_URL", "DOCS_RETENTION_MODE", "DOCS_ENV"} {
		require.Contains(t, msg, want)
	}
}

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]config.Retention{"7y": {Years: 7}, "1d": {Days: 1}, "30d": {Days: 30}} {
		got, err := config.ParseRetention(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		require.Equal(t, in, got.String())
	}
	for _, bad := range []string{"", "7", "y", "0d", "-1y", "7w", "1.5y"} {
		_, err := config.ParseRetention(bad)
		require.Error(t, err, bad)
	}
}

func TestREADMEDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, v := range config.Vars {
		require.True(t, strings.Contains(string(readme), "| `"+v.Name+"` |"), "README's configuration table lacks %s", v.Name)
	}
}

func TestESignProviderRefusesToBeHalfConfigured(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	c, err := config.LoadFrom(env(nil))
	require.NoError(t, err)
	require.Equal(t, config.ESignSandbox, c.ESign.Provider, "the default needs no account")
	require.Empty(t, c.ESign.Missing(c.WebhookSecrets))

	c, err = config.LoadFrom(env(map[string]string{"ESIGN_PROVIDER": "docusign", "DOCUSIGN_INTEGRATION_KEY": "ik"}))
	require.NoError(t, err)
	require.Equal(t, "ESIGN_PROVIDER=docusign needs WEBHOOK_PUBLIC_URL, DOCUSIGN_USER_ID, DOCUSIGN_PRIVATE_KEY_FILE, DOCUSIGN_ACCOUNT_ID, "+
		"WEBHOOK_SECRET_DOCUSIGN (the Connect HMAC key envelopes are signed with)", c.ESign.Missing(c.WebhookSecrets))

	key := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(key, []byte("dbs-key\n"), 0o600))
	c, err = config.LoadFrom(env(map[string]string{"ESIGN_PROVIDER": "dropboxsign", "DROPBOXSIGN_API_KEY_FILE": key}))
	require.NoError(t, err)
	require.Equal(t, "dbs-key", c.ESign.DropboxSignAPIKey, "read from the _FILE, newline dropped")
	require.Equal(t, []string{"dbs-key"}, c.WebhookSecrets["dropboxsign"], "callbacks are signed with the API key")
	require.Empty(t, c.ESign.Missing(c.WebhookSecrets))

	_, err = config.LoadFrom(env(map[string]string{"ESIGN_PROVIDER": "adobesign"}))
	require.ErrorContains(t, err, `ESIGN_PROVIDER="adobesign": want sandbox, docusign or dropboxsign`)
	_, err = config.LoadFrom(env(map[string]string{"DROPBOXSIGN_API_KEY": "a", "DROPBOXSIGN_API_KEY_FILE": key}))
	require.ErrorContains(t, err, "both set")
	_, err = config.LoadFrom(env(map[string]string{"WEBHOOK_PUBLIC_URL": "hooks.example.com"}))
	require.ErrorContains(t, err, "WEBHOOK_PUBLIC_URL")
}
