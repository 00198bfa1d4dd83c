package docusign_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/docusign"
	"trustdocs/esign/docusign/docusigntest"
	"trustdocs/webhook"
)

const connectSecret = "connect-hmac-key"

// fixture is a client wired to a stand-in, and a webhook receiver that checks what the
// stand-in posts the way our receiver does.
type fixture struct {
	ds       *docusigntest.Server
	client   *docusign.Client
	hooks    *receiver
	observed *observations
}

func setup(t *testing.T, opts []docusigntest.Option, tweak func(*docusign.Config)) *fixture {
	t.Helper()
	ds := docusigntest.New(t, opts...)
	hooks := newReceiver(t)
	obs := &observations{}
	cfg := ds.Config(hooks.url + "/webhooks/docusign")
	cfg.Observe = obs.observe
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := docusign.New(cfg)
	require.NoError(t, err)
	return &fixture{ds: ds, client: c, hooks: hooks, observed: obs}
}

// samplePDF stands in for a rendered, locked document.
var samplePDF = []byte("%PDF-1.7\n% a document to sign\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// envelope is a two-signer document; the recipients come out of routing order on
// purpose.
func envelope(docID string) esign.Envelope {
	return esign.Envelope{
		DocID: docID, PackID: "pack_7", Title: "Mutual NDA — Acme / Globex", PDF: samplePDF, PDFSHA256: "irrelevant here",
		Recipients: []esign.Recipient{
			{Role: "counterparty", UserID: "u2", Name: "Grace Globex", Email: "grace@globex.example", RoutingOrder: 2},
			{Role: "issuer", UserID: "u1", Name: "Ada Acme", Email: "ada@acme.example", RoutingOrder: 1},
		},
		Fields: []esign.Field{
			{Role: "issuer", Page: 1, X: 72.4, Y: 640.6, W: 200, H: 40},
			{Role: "counterparty", Page: 2, X: 320, Y: 640, W: 200, H: 40},
		},
	}
}

// receiver is the webhook endpoint: it verifies and normalizes every message with our
// receiver's own functions, and acknowledges it.
type receiver struct {
	url string

	mu      sync.Mutex
	bodies  [][]byte
	updates []webhook.ESignUpdate
	errs    []error
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, verr := webhook.VerifyDocuSign(r.Header, body, []string{"an-older-key", connectSecret}, time.Now())
		u, nerr := webhook.NormalizeDocuSign(body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.bodies = append(rc.bodies, body)
		if verr != nil || nerr != nil {
			rc.errs = append(rc.errs, verr, nerr)
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		rc.updates = append(rc.updates, u)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

func (rc *receiver) received() ([]webhook.ESignUpdate, [][]byte, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhook.ESignUpdate(nil), rc.updates...), append([][]byte(nil), rc.bodies...), append([]error(nil), rc.errs...)
}

// observations records the client's Observe calls.
type observations struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *observations) observe(op, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[op+" "+outcome]++
}

func (o *observations) count(opOutcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[opOutcome]
}

// clock is a settable clock shared by a client and its stand-in.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
