package docusign_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/docusign/docusigntest"
)

func TestVoidVoidsOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_void"))
	require.NoError(t, err)

	require.NoError(t, f.client.Void(ctx, sent.EnvelopeID, "pack withdrawn"))
	e, _ := f.ds.Envelope(sent.EnvelopeID)
	require.Equal(t, "voided", e.Status)
	require.Equal(t, "pack withdrawn", e.VoidedReason)

	require.NoError(t, f.client.Void(ctx, sent.EnvelopeID, "pack withdrawn"), "voiding twice is fine")
	require.Equal(t, 1, f.ds.Calls(docusigntest.OpUpdate), "the second void read the status and left it at that")

	again, err := f.client.Send(ctx, envelope("doc_void"))
	require.NoError(t, err)
	require.Equal(t, sent.EnvelopeID, again.EnvelopeID, "a voided envelope is still the document's only one")
}

func TestVoidOfACompletedEnvelopeIsNotAnError(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_void_done"))
	require.NoError(t, err)
	require.NoError(t, f.ds.Sign(ctx, sent.EnvelopeID, connectSecret))
	require.NoError(t, f.client.Void(ctx, sent.EnvelopeID, "too late"))
	e, _ := f.ds.Envelope(sent.EnvelopeID)
	require.Equal(t, "completed", e.Status)
}

func TestVoidRefusedForALiveEnvelopeIsAnError(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_void_refused"))
	require.NoError(t, err)
	f.ds.FailNext(docusigntest.OpUpdate, 400, 0, 1)
	err = f.client.Void(ctx, sent.EnvelopeID, "pack withdrawn")
	require.True(t, esign.IsPermanent(err))
	require.ErrorContains(t, err, "INVALID_REQUEST_PARAMETER")
}

func TestExecutedWaitsForCompletionThenReturnsBothPDFs(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_exec"))
	require.NoError(t, err)

	_, err = f.client.Executed(ctx, sent.EnvelopeID)
	require.ErrorIs(t, err, esign.ErrNotReady)
	require.Zero(t, f.ds.Calls(docusigntest.OpDocument), "no download before completion")

	require.NoError(t, f.ds.Sign(ctx, sent.EnvelopeID, connectSecret))
	ex, err := f.client.Executed(ctx, sent.EnvelopeID)
	require.NoError(t, err)
	require.Equal(t, append(bytes.Clone(samplePDF), docusigntest.SignedMarker(sent.EnvelopeID)...), ex.Signed,
		"the signed documents, without the certificate DocuSign would otherwise append")
	require.Equal(t, docusigntest.Certificate(sent.EnvelopeID), ex.Certificate)
	require.True(t, bytes.HasPrefix(ex.Certificate, []byte("%PDF-")))
}

func TestExecutedOfAVoidedEnvelopeIsPermanent(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	sent, err := f.client.Send(ctx, envelope("doc_exec_void"))
	require.NoError(t, err)
	require.NoError(t, f.client.Void(ctx, sent.EnvelopeID, "withdrawn"))
	_, err = f.client.Executed(ctx, sent.EnvelopeID)
	require.True(t, esign.IsPermanent(err))
	require.NotErrorIs(t, err, esign.ErrNotReady)
}
