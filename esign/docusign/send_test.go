package docusign_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/docusign"
	"trustdocs/esign/docusign/docusigntest"
)

func TestSendCreatesTheEnvelopeAsMapped(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	sent, err := f.client.Send(t.Context(), envelope("doc_map"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"issuer": "1", "counterparty": "2"}, sent.RecipientIDs)

	envs := f.ds.Envelopes()
	require.Len(t, envs, 1)
	e := envs[0]
	require.Equal(t, sent.EnvelopeID, e.EnvelopeID)
	require.Equal(t, "sent", e.Status)
	require.Equal(t, "Mutual NDA — Acme / Globex", e.EmailSubject)
	require.Equal(t, samplePDF, e.PDF())
	require.Equal(t, []docusigntest.Document{{DocumentID: "1", Name: "Mutual NDA — Acme / Globex", FileExtension: "pdf"}},
		[]docusigntest.Document{{DocumentID: e.Documents[0].DocumentID, Name: e.Documents[0].Name, FileExtension: e.Documents[0].FileExtension}})

	require.Equal(t, "doc_map", e.TransactionID)
	require.Equal(t, "doc_map", e.CustomField("doc_id"))
	require.Equal(t, "pack_7", e.CustomField("pack_id"))
	for _, cf := range e.CustomFields.TextCustomFields {
		require.Equal(t, "false", cf.Show, "custom fields are for finding the envelope, not for the certificate")
	}

	en := e.EventNotification
	require.NotNil(t, en)
	require.Equal(t, f.hooks.url+"/webhooks/docusign", en.URL)
	require.Equal(t, "true", en.IncludeHMAC)
	require.Equal(t, "true", en.RequireAcknowledgment)
	require.Equal(t, docusigntest.EventData{Version: "restv2.1", Format: "json", IncludeData: []string{"recipients", "custom_fields"}}, en.EventData)
	require.ElementsMatch(t, []string{"recipient-sent", "recipient-delivered", "recipient-completed", "recipient-declined",
		"envelope-sent", "envelope-delivered", "envelope-completed", "envelope-declined", "envelope-voided"}, en.Events)

	// Signers in routing order; the fields become signHere tabs at the same points.
	signers := e.Recipients.Signers
	require.Len(t, signers, 2)
	require.Equal(t, []string{"1", "1", "Ada Acme", "ada@acme.example", "issuer"},
		[]string{signers[0].RecipientID, signers[0].RoutingOrder, signers[0].Name, signers[0].Email, signers[0].RoleName})
	require.Equal(t, []string{"2", "2", "Grace Globex", "grace@globex.example", "counterparty"},
		[]string{signers[1].RecipientID, signers[1].RoutingOrder, signers[1].Name, signers[1].Email, signers[1].RoleName})
	require.Equal(t, []docusigntest.SignHere{{DocumentID: "1", PageNumber: "1", XPosition: "72", YPosition: "641", TabLabel: "sign_issuer_1"}},
		signers[0].Tabs.SignHereTabs)
	require.Equal(t, []docusigntest.SignHere{{DocumentID: "1", PageNumber: "2", XPosition: "320", YPosition: "640", TabLabel: "sign_counterparty_1"}},
		signers[1].Tabs.SignHereTabs)
}

func TestSendRefusesAnEnvelopeItCannotMap(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	e := envelope("doc_bad")
	e.PDF = nil
	e.Fields = e.Fields[:1]
	e.Fields = append(e.Fields, esign.Field{Role: "witness", Page: 1})
	_, err := f.client.Send(t.Context(), e)
	require.EqualError(t, err, "docusign send doc_bad: invalid envelope: no PDF bytes; a field is for role witness, who is not a recipient; "+
		"recipient counterparty has no signature field")
	require.ErrorIs(t, err, esign.ErrInvalidEnvelope)
	require.True(t, esign.IsPermanent(err), "the same envelope will always be refused")
	require.Zero(t, f.ds.TokenRequests(), "nothing is asked of DocuSign")
}

func TestSendingTwiceReturnsTheSameEnvelope(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	first, err := f.client.Send(ctx, envelope("doc_twice"))
	require.NoError(t, err)
	again, err := f.client.Send(ctx, envelope("doc_twice"))
	require.NoError(t, err)
	require.Equal(t, first, again, "same envelope, and the recipient ids read back from DocuSign")
	require.Equal(t, 1, f.ds.Created())
	require.Equal(t, 1, f.ds.Calls(docusigntest.OpCreate))
}

func TestAnOldEnvelopeIsFoundByItsCustomField(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := setup(t, []docusigntest.Option{docusigntest.WithClock(clk.Now)}, nil)
	ctx := t.Context()
	first, err := f.client.Send(ctx, envelope("doc_old"))
	require.NoError(t, err)
	clk.Advance(8 * 24 * time.Hour) // DocuSign has forgotten the transaction id
	again, err := f.client.Send(ctx, envelope("doc_old"))
	require.NoError(t, err)
	require.Equal(t, first.EnvelopeID, again.EnvelopeID)
	require.Equal(t, 1, f.ds.Created())
}

func TestALostCreateIsFoundNotRepeated(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	f.ds.LoseNextCreate()
	sent, err := f.client.Send(t.Context(), envelope("doc_lost"))
	require.NoError(t, err)
	require.Equal(t, 1, f.ds.Created(), "exactly one envelope")
	require.Equal(t, 1, f.ds.Calls(docusigntest.OpCreate), "the create was not repeated: the search after it found the envelope")
	require.Equal(t, f.ds.Envelopes()[0].EnvelopeID, sent.EnvelopeID)
	require.Equal(t, map[string]string{"issuer": "1", "counterparty": "2"}, sent.RecipientIDs)
	require.Equal(t, 1, f.observed.count("send retried"))
}

func TestRateLimitIsWaitedOutAndServerErrorsRetried(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	f.ds.FailNext(docusigntest.OpCreate, 429, time.Second, 1)
	start := time.Now()
	_, err := f.client.Send(ctx, envelope("doc_429"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After is honoured")
	require.Equal(t, 2, f.ds.Calls(docusigntest.OpCreate))
	require.Equal(t, 1, f.ds.Created())

	f.ds.FailNext(docusigntest.OpList, 500, 0, 2)
	f.ds.FailNext(docusigntest.OpCreate, 503, 0, 1)
	_, err = f.client.Send(ctx, envelope("doc_500"))
	require.NoError(t, err)
	require.Equal(t, 2, f.ds.Created())
	require.Equal(t, 2, f.observed.count("send retried"))
	require.Equal(t, 1, f.observed.count("find retried"))
}

func TestRetryAfterBeyondMaxWaitIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, func(c *docusign.Config) { c.MaxWait = 2 * time.Second })
	f.ds.FailNext(docusigntest.OpCreate, 429, time.Hour, 1)
	start := time.Now()
	_, err := f.client.Send(t.Context(), envelope("doc_quota"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 429, pe.Status)
	require.Equal(t, time.Hour, pe.RetryAfter)
	require.False(t, pe.Permanent())
	require.Less(t, time.Since(start), time.Second, "no in-process wait for an hour")
	require.Equal(t, 1, f.observed.count("send failed"))
}

func TestABadRequestIsPermanentAndNotRetried(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	f.ds.FailNext(docusigntest.OpCreate, 400, 0, 1)
	_, err := f.client.Send(t.Context(), envelope("doc_400"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, pe.Permanent())
	require.True(t, esign.IsPermanent(err))
	require.Equal(t, esign.Error{Provider: "docusign", Op: "send", Status: 400,
		Message: "INVALID_REQUEST_PARAMETER: The request contained at least one invalid parameter (injected)."}, *pe)
	require.Equal(t, 1, f.ds.Calls(docusigntest.OpCreate))
	require.Zero(t, f.ds.Created())
	require.Equal(t, 1, f.observed.count("send permanent"))
}

func TestCancellingStopsABackoff(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	f.ds.FailNext(docusigntest.OpCreate, 503, 10*time.Second, 5)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.client.Send(ctx, envelope("doc_cancel"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "UNSPECIFIED_ERROR", "the last error is kept")
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, 1, f.ds.Calls(docusigntest.OpCreate))
}
