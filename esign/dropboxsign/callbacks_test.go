package dropboxsign_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

// The callbacks the stand-in posts pass our receiver's verification and normalization,
// and name each signer by the signature_id Send returned for its role.
func TestSignPostsCallbacksOurWebhookAccepts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rc := newReceiver(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_sign"))
	require.NoError(t, err)

	require.NoError(t, f.srv.Sign(context.Background(), sent.EnvelopeID, rc.srv.URL))
	updates, errs := rc.received()
	require.Empty(t, errs)

	type step struct{ evt, recipient, event, status string }
	var got []step
	for _, u := range updates {
		require.Equal(t, "dropboxsign", u.Provider)
		require.Equal(t, sent.EnvelopeID, u.EnvelopeID)
		require.Empty(t, u.Role, "signer_role is null without template roles")
		require.NotEmpty(t, u.DedupeKey)
		got = append(got, step{u.ProviderEvt, u.RecipientID, u.Event, u.Status})
	}
	client, advisor := sent.RecipientIDs["client"], sent.RecipientIDs["advisor"]
	require.Equal(t, []step{
		{"signature_request_viewed", client, "viewed", ""},
		{"signature_request_signed", client, "signed", ""},
		{"signature_request_viewed", advisor, "viewed", ""},
		{"signature_request_signed", advisor, "signed", ""},
		{"signature_request_all_signed", "", "", "completed"},
	}, got)
	require.Equal(t, "cleo@example.com", updates[1].Email)

	req, _ := f.srv.Request(sent.EnvelopeID)
	require.Equal(t, dropboxsigntest.StatusComplete, req.Status)
	require.Error(t, f.srv.Sign(context.Background(), sent.EnvelopeID, rc.srv.URL), "signed once only")
}

func TestSignNeedsTheAcknowledgementDropboxSignRequires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_ack"))
	require.NoError(t, err)
	plainOK := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) }))
	t.Cleanup(plainOK.Close)
	err = f.srv.Sign(context.Background(), sent.EnvelopeID, plainOK.URL)
	require.ErrorContains(t, err, "Hello API Event Received")
}
