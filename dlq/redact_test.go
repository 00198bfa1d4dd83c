package dlq

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"
)

// webhookMessage is a dead-lettered provider.webhook.received as the receiver enqueues
// it: the provider's body, base64 in the envelope.
func webhookMessage(t *testing.T, provider, body string) sqstypes.Message {
	t.Helper()
	env, err := json.Marshal(map[string]any{"id": "whk_1", "type": "provider.webhook.received", "source": "receiver",
		"occurred_at": time.Now().UTC(), "data": map[string]any{"provider": provider, "headers": map[string]string{"Content-Type": "application/json"},
			"body_base64": base64.StdEncoding.EncodeToString([]byte(body)), "receipt_id": "rcp_1"}})
	require.NoError(t, err)
	return sqstypes.Message{MessageId: aws.String("m-" + provider), Body: aws.String(string(env)), ReceiptHandle: aws.String("r"),
		Attributes: map[string]string{"SentTimestamp": "1764000000000"}}
}

// The webhooks of identity and background-check providers are decoded to ids and event
// types only: nothing of their body is in the message as printed or as JSON, until the
// audited RevealBody; a replay still sends the body as received. Other providers'
// bodies are shown as before.
func TestPersonalDataWebhooksShowIdsAndTypesOnly(t *testing.T) {
	t.Parallel()
	pii := []string{"Jordan", "1995-09-08", "1 Main St", "jordan@example.com"}
	bodies := map[string]string{
		"persona": `{"data":{"type":"event","id":"evt_p_1","attributes":{"name":"inquiry.approved","payload":{"data":{"id":"inq_1","attributes":{
			"fields":{"name-first":{"type":"string","value":"Jordan"},"birthdate":{"type":"date","value":"1995-09-08"},"address-street-1":{"value":"1 Main St"}}}}}}}}`,
		"stripe": `{"id":"evt_s_1","type":"identity.verification_session.verified","data":{"object":{"id":"vs_1",
			"verified_outputs":{"first_name":"Jordan","dob":{"year":1995,"month":9,"day":8},"email":"jordan@example.com","address":{"line1":"1 Main St"}}}}}`,
		"checkr": `{"id":"evt_c_1","type":"report.completed","data":{"object":{"id":"rep_1","candidate":{"first_name":"Jordan","dob":"1995-09-08","email":"jordan@example.com"}}}}`,
	}
	wantEvent := map[string][2]string{"persona": {"evt_p_1", "inquiry.approved"}, "stripe": {"evt_s_1", "identity.verification_session.verified"},
		"checkr": {"evt_c_1", "report.completed"}}
	c := &Client{DLQSuffix: "-dlq"}
	for provider, body := range bodies {
		sm := webhookMessage(t, provider, body)
		m := c.decode(context.Background(), "http://q/provider-webhooks-dlq", sm, false)
		require.True(t, m.BodyRedacted, provider)
		require.Empty(t, m.Body, provider)
		require.Equal(t, provider, m.Provider)
		require.Equal(t, wantEvent[provider], [2]string{m.ProviderEventID, m.ProviderEventType}, provider)
		require.Equal(t, "whk_1", m.EventID)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		shown := string(out) + m.Subject + m.ErrorText
		for _, s := range pii {
			require.NotContains(t, shown, s, provider)
			require.NotContains(t, shown, base64.StdEncoding.EncodeToString([]byte(s)), provider)
		}
		require.NotContains(t, shown, "body_base64", "%s: no part of the body", provider)
		require.Equal(t, aws.ToString(sm.Body), m.raw, "a replay sends the body as received")

		m.RevealBody()
		require.False(t, m.BodyRedacted)
		require.Equal(t, aws.ToString(sm.Body), m.Body, "shown only after the audit, whole")
	}

	m := c.decode(context.Background(), "http://q/provider-webhooks-dlq", webhookMessage(t, "docusign", `{"event":"envelope-sent"}`), false)
	require.False(t, m.BodyRedacted, "e-sign webhooks carry no identity data")
	require.Contains(t, m.Body, "body_base64")

	// A body that is not JSON gives no provider event, and is still withheld.
	m = c.decode(context.Background(), "http://q/provider-webhooks-dlq", webhookMessage(t, "persona", `Jordan 1995-09-08`), false)
	require.True(t, m.BodyRedacted)
	require.Empty(t, m.ProviderEventID+m.ProviderEventType)
}

// An audited look needs a reason and an actor; with nothing withheld there is nothing to
// record (no database needed to show that).
func TestAuditRevealNeedsAReasonAndSkipsWhenNothingIsWithheld(t *testing.T) {
	t.Parallel()
	c := &Client{}
	id, err := c.AuditReveal(context.Background(), "http://q/x-dlq", RevealAudit{Actor: "a", Reason: "r"}, []*Message{{MessageID: "1"}})
	require.NoError(t, err)
	require.Empty(t, id)
	_, err = c.AuditReveal(context.Background(), "http://q/x-dlq", RevealAudit{Actor: "a"}, []*Message{{MessageID: "1", BodyRedacted: true}})
	require.ErrorContains(t, err, "needs a reason")
}
