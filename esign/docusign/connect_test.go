package docusign_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The stand-in's signers post what our receiver accepts: signed with the Connect key,
// normalized to the envelope, event and role the worker stored at send.
func TestSignersPostConnectMessagesOurReceiverAccepts(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_connect"))
	require.NoError(t, err)
	require.NoError(t, f.ds.Sign(ctx, sent.EnvelopeID, connectSecret))

	updates, bodies, errs := f.hooks.received()
	require.Empty(t, errs)
	type got struct{ evt, event, status, role, recipientID, envelopeID string }
	var seen []got
	for _, u := range updates {
		seen = append(seen, got{u.ProviderEvt, u.Event, u.Status, u.Role, u.RecipientID, u.EnvelopeID})
	}
	id := sent.EnvelopeID
	issuer, counterparty := sent.RecipientIDs["issuer"], sent.RecipientIDs["counterparty"]
	require.Equal(t, []got{
		{"recipient-delivered", "viewed", "", "issuer", issuer, id},
		{"recipient-completed", "signed", "", "issuer", issuer, id},
		{"recipient-delivered", "viewed", "", "counterparty", counterparty, id},
		{"recipient-completed", "signed", "", "counterparty", counterparty, id},
		{"envelope-completed", "", "completed", "", "", id},
	}, seen)

	// Each message names our document, so a message can be traced without our tables.
	for _, b := range bodies {
		var m struct {
			Data struct {
				EnvelopeSummary struct {
					CustomFields struct {
						TextCustomFields []struct{ Name, Value string } `json:"textCustomFields"` //nolint:tagliatelle // DocuSign's own field name
					} `json:"customFields"` //nolint:tagliatelle // DocuSign's own field name
				} `json:"envelopeSummary"` //nolint:tagliatelle // DocuSign's own field name
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(b, &m))
		require.Contains(t, m.Data.EnvelopeSummary.CustomFields.TextCustomFields, struct{ Name, Value string }{"doc_id", "doc_connect"})
	}
}

func TestConnectMessagesWithoutTheKeyAreRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_connect_key"))
	require.NoError(t, err)
	require.ErrorContains(t, f.ds.Sign(ctx, sent.EnvelopeID, "not the key"), "401")
	_, _, errs := f.hooks.received()
	require.NotEmpty(t, errs)
}
