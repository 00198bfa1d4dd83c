package events_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/events"
)

// contractsDir is the booking and trust systems' example files: the contract, kept in
// the repo.
const contractsDir = "testdata/contracts"

func TestContractFilesValidateUnchanged(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(contractsDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no contract files in %s", contractsDir)
	seen := map[string]bool{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		env, err := events.Decode(body)
		require.NoError(t, err, f)
		require.Equal(t, strings.TrimSuffix(filepath.Base(f), ".json"), env.Type, f)
		seen[env.Type] = true
	}
	for _, typ := range events.Inbound {
		if typ != events.WebhookReceived {
			require.True(t, seen[typ], "contract example for %s", typ)
		}
	}
}

func TestEveryTypeHasASchemaAndAValidExample(t *testing.T) {
	t.Parallel()
	for _, typ := range events.Inbound {
		_, err := events.Schema(typ)
		require.NoError(t, err, typ)
		body, err := os.ReadFile(filepath.Join("examples", typ+".json"))
		require.NoError(t, err, "example for %s", typ)
		env, err := events.Decode(body)
		require.NoError(t, err, typ)
		require.Equal(t, typ, env.Type)
		require.NotEqual(t, events.Unroutable, events.DestinationOf(typ), typ)
	}
}

func TestTypedPayloads(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("examples/booking.checkout.completed.json")
	require.NoError(t, err)
	env, err := events.Decode(body)
	require.NoError(t, err)
	co, err := events.DataAs[events.Checkout](env)
	require.NoError(t, err)
	require.Equal(t, "leg_7Q2M_1", co.LegID)
	require.Equal(t, int64(120000), co.Fee.AmountMinor)
	require.Len(t, co.Parties, 3)
	require.Equal(t, "talent", co.Parties[1].Role)

	body, err = os.ReadFile("examples/provider.webhook.received.json")
	require.NoError(t, err)
	env, err = events.Decode(body)
	require.NoError(t, err)
	wh, err := events.DataAs[events.Webhook](env)
	require.NoError(t, err)
	require.Contains(t, string(wh.BodyBase64), `"event":"envelope-sent"`)
}

func TestInvalidMessagesAreClassified(t *testing.T) {
	t.Parallel()
	valid, err := os.ReadFile("examples/booking.checkout.completed.json")
	require.NoError(t, err)
	cases := []struct {
		name, body, class, mention string
	}{
		{"not json", `{"id": "x",`, events.ClassMalformed, "not JSON"},
		{"array", `[1,2]`, events.ClassMalformed, "not a JSON object"},
		{"empty", ``, events.ClassMalformed, "not JSON"},
		{"no id", `{"type":"risk.charge.failed","source":"b","occurred_at":"2026-11-20T12:00:00Z","data":{"user_id":"u"}}`, events.ClassSchema, "id"},
		{"bad time", `{"id":"e","type":"risk.charge.failed","source":"b","occurred_at":"yesterday","data":{"user_id":"u"}}`, events.ClassSchema, "/occurred_at"},
		{"unknown type", `{"id":"e","type":"booking.invoice.sent","source":"b","occurred_at":"2026-11-20T12:00:00Z","data":{}}`, events.ClassUnknownType, "booking.invoice.sent"},
		{"missing data field", `{"id":"e","type":"risk.charge.failed","source":"b","occurred_at":"2026-11-20T12:00:00Z","data":{"booking_id":"b"}}`, events.ClassSchema, "user_id"},
		{"bad email", strings.Replace(string(valid), "bookings@acme.example", "not-an-email", 1), events.ClassSchema, "/data/parties/0/email"},
		{"bad role", strings.Replace(string(valid), `"role": "buyer"`, `"role": "king"`, 1), events.ClassSchema, "/data/parties/0/role"},
		{"negative fee", strings.Replace(string(valid), `120000`, `-5`, 1), events.ClassSchema, "/data/fee/amount_minor"},
	}
	for _, c := range cases {
		_, err := events.Decode([]byte(c.body))
		ie, ok := events.IsInvalid(err)
		require.True(t, ok, "%s: want an InvalidError, got %v", c.name, err)
		require.Equal(t, c.class, ie.Class, c.name)
		require.Contains(t, ie.Error(), c.mention, c.name)
		require.NotContains(t, ie.Error(), "\n", c.name)
	}
}

func TestDestinations(t *testing.T) {
	t.Parallel()
	require.Equal(t, events.BookingTopic, events.DestinationOf(events.CheckoutAmended))
	require.Equal(t, events.RiskTopic, events.DestinationOf(events.LegCompleted))
	require.Equal(t, events.RiskTopic, events.DestinationOf(events.ClickFlagged))
	require.Equal(t, events.RiskTopic, events.DestinationOf(events.SocialVerificationSet))
	require.Equal(t, events.WebhookQueue, events.DestinationOf(events.WebhookReceived))
	require.Equal(t, events.Unroutable, events.DestinationOf("billing.invoice.sent"))
}
