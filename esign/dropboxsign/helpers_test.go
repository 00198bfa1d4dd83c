package dropboxsign_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror/apierrortest"
	"trustdocs/esign"
	"trustdocs/esign/dropboxsign"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
	"trustdocs/webhook"
)

const apiKey = "dbs-test-key-0123456789"

// testPDF is not a real PDF, but starts like one, which is all the client checks.
var testPDF = []byte("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

// fixture is a client talking to a fresh stand-in, recording its waits and outcomes.
type fixture struct {
	srv    *dropboxsigntest.Server
	client *dropboxsign.Client
	rec    apierrortest.Recorder
}

func newFixture(t *testing.T, mods ...func(*dropboxsign.Config)) *fixture {
	t.Helper()
	return newFixtureTB(t, t, mods...)
}

// newFixtureTB lets the stand-in report to tb (a recorder, when a test means to break
// the document) while the test's own assertions stay on t.
func newFixtureTB(t *testing.T, tb testing.TB, mods ...func(*dropboxsign.Config)) *fixture {
	t.Helper()
	f := &fixture{srv: dropboxsigntest.New(tb, apiKey)}
	cfg := dropboxsign.Config{
		APIKey: apiKey, APIURL: f.srv.URL(), TestMode: true,
		Sleep: f.rec.Sleep, Observe: f.rec.Observe,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := dropboxsign.New(cfg)
	require.NoError(t, err)
	f.client = c
	return f
}

func (f *fixture) recordedWaits() []time.Duration { return f.rec.Waits() }

func (f *fixture) recordedOutcomes() []string { return f.rec.Outcomes() }

// envelope has two signers listed out of routing order, each with a field whose
// size is a round number of points (and of 80-DPI units once scaled).
func envelope(docID string) esign.Envelope {
	return esign.Envelope{
		DocID: docID, PackID: "pack_" + docID, Title: "Advisory agreement " + docID, PDF: testPDF,
		Recipients: []esign.Recipient{
			{Role: "advisor", Name: "Ada Advisor", Email: "ada@example.com", RoutingOrder: 2},
			{Role: "client", Name: "Cleo Client", Email: "cleo@example.com", RoutingOrder: 1},
		},
		Fields: []esign.Field{
			{Role: "client", Page: 1, X: 72, Y: 600, W: 180, H: 36},       // 2.5 × 0.5 in
			{Role: "advisor", Page: 2, X: 300.4, Y: 650.6, W: 144, H: 27}, // 2 × 0.375 in
		},
	}
}

// receiver is our webhook endpoint as far as Dropbox Sign callbacks go: it verifies
// with webhook.VerifyDropboxSign and normalizes with webhook.NormalizeDropboxSign, and
// answers the acknowledgement Dropbox Sign requires.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	updates []webhook.ESignUpdate
	errs    []error
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		body, err := io.ReadAll(r.Body)
		if err == nil && r.URL.Path != dropboxsigntest.CallbackPath {
			err = fmt.Errorf("callback posted to %s", r.URL.Path)
		}
		if err == nil {
			_, err = webhook.VerifyDropboxSign(r.Header, body, []string{"an-old-key", apiKey}, time.Now())
		}
		var u webhook.ESignUpdate
		if err == nil {
			u, err = webhook.NormalizeDropboxSign(r.Header.Get("Content-Type"), body)
		}
		if err != nil {
			rc.errs = append(rc.errs, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.updates = append(rc.updates, u)
		_, _ = w.Write([]byte("Hello API Event Received"))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() ([]webhook.ESignUpdate, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhook.ESignUpdate(nil), rc.updates...), append([]error(nil), rc.errs...)
}

// recorder stands in for testing.TB where a test breaks the API document on purpose:
// it keeps the stand-in's Errorf messages instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}
