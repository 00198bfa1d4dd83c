package dropboxsign_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

func TestVoidCancelsAndTwiceIsFine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_void"))
	require.NoError(t, err)

	require.NoError(t, f.client.Void(context.Background(), sent.EnvelopeID, "pack superseded"))
	req, _ := f.srv.Request(sent.EnvelopeID)
	require.Equal(t, dropboxsigntest.StatusCanceled, req.Status)

	// Cancelled already: the stand-in answers 410, which means done.
	require.NoError(t, f.client.Void(context.Background(), sent.EnvelopeID, "pack superseded"))
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpCancel))
}

func TestVoidOfACompletedRequestIsNotAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rc := newReceiver(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_done"))
	require.NoError(t, err)
	require.NoError(t, f.srv.Sign(context.Background(), sent.EnvelopeID, rc.srv.URL))

	require.NoError(t, f.client.Void(context.Background(), sent.EnvelopeID, "late"))
	req, _ := f.srv.Request(sent.EnvelopeID)
	require.Equal(t, dropboxsigntest.StatusComplete, req.Status)
}

func TestVoidOfAnUnknownRequestIsPermanent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	err := f.client.Void(context.Background(), "0000000000000000000000000000000000000000", "")
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusNotFound, pe.Status)
	require.Equal(t, "not_found: Not found", pe.Message)
	require.True(t, pe.Permanent())
}

func TestVoidRetriesAServerError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_void503"))
	require.NoError(t, err)
	f.srv.FailNext(dropboxsigntest.OpCancel, http.StatusServiceUnavailable, 0, 1)
	require.NoError(t, f.client.Void(context.Background(), sent.EnvelopeID, ""))
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpCancel))
}
