package dropboxsign_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/dropboxsign"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

func intPtr(n int) *int { return &n }

func TestNewNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	_, err := dropboxsign.New(dropboxsign.Config{})
	require.ErrorContains(t, err, "APIKey")
	_, err = dropboxsign.New(dropboxsign.Config{APIKey: "k", APIURL: "api.hellosign.com/v3"})
	require.ErrorContains(t, err, "APIURL")
	c, err := dropboxsign.New(dropboxsign.Config{APIKey: "k"})
	require.NoError(t, err)
	require.Equal(t, "dropboxsign", c.Name())
}

func TestSendCreatesOneRequestWithOurMetadataSignersAndFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent, err := f.client.Send(context.Background(), envelope("doc_send1"))
	require.NoError(t, err)

	require.Equal(t, 1, f.srv.Created())
	req, ok := f.srv.Request(sent.EnvelopeID)
	require.True(t, ok, "Sent.EnvelopeID is the signature_request_id")
	require.Equal(t, "Advisory agreement doc_send1", req.Title)
	require.Equal(t, req.Title, req.Subject)
	require.True(t, req.TestMode)
	require.Equal(t, map[string]string{"doc_id": "doc_send1", "pack_id": "pack_doc_send1"}, req.Metadata)
	require.Equal(t, testPDF, req.PDF)

	// Signers in routing order (the envelope lists them the other way round), 0-based.
	require.Len(t, req.Signers, 2)
	require.Equal(t, "Cleo Client", req.Signers[0].Name)
	require.Equal(t, "cleo@example.com", req.Signers[0].Email)
	require.Equal(t, intPtr(0), req.Signers[0].Order)
	require.Equal(t, "ada@example.com", req.Signers[1].Email)
	require.Equal(t, intPtr(1), req.Signers[1].Order)
	require.Equal(t, map[string]string{"client": req.Signers[0].SignatureID, "advisor": req.Signers[1].SignatureID}, sent.RecipientIDs)

	// Positions pass through (72 DPI from the top-left with page set), rounded; sizes
	// are scaled to 80 DPI: 180×36 pt → 200×40, 144×27 pt → 160×30.
	require.Equal(t, []dropboxsigntest.Field{
		{DocumentIndex: 0, APIID: "sig_0", Type: "signature", Required: true, Signer: "0", Page: 1, X: 72, Y: 600, Width: 200, Height: 40},
		{DocumentIndex: 0, APIID: "sig_1", Type: "signature", Required: true, Signer: "1", Page: 2, X: 300, Y: 651, Width: 160, Height: 30},
	}, req.Fields)

	require.Equal(t, []string{"find:ok", "send:ok"}, f.recordedOutcomes())
	require.Empty(t, f.recordedWaits())
}

func TestSendAgainReturnsTheSameRequestAndCreatesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first, err := f.client.Send(context.Background(), envelope("doc_again"))
	require.NoError(t, err)
	second, err := f.client.Send(context.Background(), envelope("doc_again"))
	require.NoError(t, err)

	require.Equal(t, first, second, "same request, same signature ids")
	require.Equal(t, 1, f.srv.Created())
	require.Equal(t, 1, f.srv.Calls(dropboxsigntest.OpSend))
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpList))
}

func TestSendFindsOnlyItsOwnDocument(t *testing.T) {
	t.Parallel()
	// The stand-in's search, like a full-text one, finds doc_ab for "doc_a": the client
	// must keep exact metadata.doc_id matches only.
	f := newFixture(t)
	other, err := f.client.Send(context.Background(), envelope("doc_ab"))
	require.NoError(t, err)
	mine, err := f.client.Send(context.Background(), envelope("doc_a"))
	require.NoError(t, err)
	require.NotEqual(t, other.EnvelopeID, mine.EnvelopeID)
	require.Equal(t, 2, f.srv.Created())
}

func TestSendAfterALostCreateAnswerCreatesExactlyOne(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		searchDelay int // list calls during which a new request is not found yet
	}{
		{"indexed at once", 0},
		{"indexed after three searches", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.srv.SearchDelay(tc.searchDelay)
			f.srv.LoseNextCreate()

			sent, err := f.client.Send(context.Background(), envelope("doc_lost"))
			require.NoError(t, err)
			require.Equal(t, 1, f.srv.Created())
			require.Equal(t, 1, f.srv.Calls(dropboxsigntest.OpSend), "no second create: the search found the first")
			req, ok := f.srv.Request(sent.EnvelopeID)
			require.True(t, ok)
			require.Equal(t, map[string]string{"client": req.Signers[0].SignatureID, "advisor": req.Signers[1].SignatureID}, sent.RecipientIDs)
			// One search before the create, then one more than the lag.
			require.Equal(t, 1+tc.searchDelay+1, f.srv.Calls(dropboxsigntest.OpList))
			require.Len(t, f.recordedWaits(), 1+tc.searchDelay, "a backoff after the lost create, then one per empty search")
			require.Contains(t, f.recordedOutcomes(), "send:retried")

			// And a later Send (a retried job) settles on the same request.
			again, err := f.client.Send(context.Background(), envelope("doc_lost"))
			require.NoError(t, err)
			require.Equal(t, sent, again)
			require.Equal(t, 1, f.srv.Created())
		})
	}
}

func TestSendRefusesAnEnvelopeItCannotMapBeforeAsking(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := envelope("doc_bad")
	e.Fields = append(e.Fields, esign.Field{Role: "witness", Page: 1, X: 1, Y: 1, W: 10, H: 10})
	_, err := f.client.Send(context.Background(), e)
	require.ErrorContains(t, err, `role "witness"`)

	e = envelope("doc_bad")
	e.Recipients[0].Email = ""
	_, err = f.client.Send(context.Background(), e)
	require.ErrorContains(t, err, "no email")
	require.Zero(t, f.srv.Calls(dropboxsigntest.OpList)+f.srv.Calls(dropboxsigntest.OpSend))
}

func TestSendWithoutFieldsLetsDropboxSignAddItsPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := envelope("doc_nofields")
	e.Fields = nil
	e.Recipients[0].Name = "" // the API requires a name: the address stands in
	sent, err := f.client.Send(context.Background(), e)
	require.NoError(t, err)
	req, _ := f.srv.Request(sent.EnvelopeID)
	require.Empty(t, req.Fields)
	require.Equal(t, "ada@example.com", req.Signers[1].Name)
	require.True(t, strings.HasPrefix(string(req.PDF), "%PDF-"))
}

func TestWrongAPIKeyIsRefusedByTheStandInAndPermanent(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	f := newFixtureTB(t, rec, func(c *dropboxsign.Config) { c.APIKey = "not-the-key" })

	_, err := f.client.Send(context.Background(), envelope("doc_key"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 401, pe.Status)
	require.True(t, pe.Permanent())
	require.Contains(t, pe.Message, "unauthorized: ")
	require.Contains(t, pe.Message, "wrong API key")
	require.Equal(t, "find", pe.Op, "refused at the search, before any create")
	msgs := rec.messages()
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0], "violates the API document")
}
