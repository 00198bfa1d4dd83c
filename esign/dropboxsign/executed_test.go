package dropboxsign_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

func TestExecutedIsNotReadyOn409ThenThePDF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rc := newReceiver(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_exec"))
	require.NoError(t, err)
	require.NoError(t, f.srv.Sign(context.Background(), sent.EnvelopeID, rc.srv.URL))
	f.srv.FilesNotReady(1)

	_, err = f.client.Executed(context.Background(), sent.EnvelopeID)
	require.ErrorIs(t, err, esign.ErrNotReady)
	require.False(t, esign.IsPermanent(err))

	ex, err := f.client.Executed(context.Background(), sent.EnvelopeID)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(ex.Signed, testPDF), "the uploaded PDF…")
	require.Greater(t, len(ex.Signed), len(testPDF), "…with the stand-in's signed marker")
	require.Nil(t, ex.Certificate, "Dropbox Sign's audit trail is inside the PDF")
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpFiles))
	require.Empty(t, f.recordedWaits(), "a 409 is not retried here: the job snoozes")
}
