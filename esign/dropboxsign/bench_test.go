package dropboxsign

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"trustdocs/esign"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

// benchEnvelope is the envelope of document i: two signers, a field each, a small PDF.
func benchEnvelope(i int) esign.Envelope {
	return esign.Envelope{DocID: fmt.Sprintf("doc_bench_%d", i), PackID: "dpk_bench", Title: "Talent SOW",
		PDF: []byte("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"),
		Recipients: []esign.Recipient{
			{Role: "buyer", Name: "Acme Creative LLC", Email: "bookings@acme.example", RoutingOrder: 1},
			{Role: "talent", Name: "Jordan Lee", Email: "jordan.lee@example.com", RoutingOrder: 2},
		},
		Fields: []esign.Field{{Role: "buyer", Page: 1, X: 72, Y: 600, W: 250, H: 24}, {Role: "talent", Page: 1, X: 72, Y: 680, W: 250, H: 24}}}
}

// BenchmarkSendVsBareHTTP: envelope sends per second through the adapter against the
// stand-in, against a bare HTTP loop sending the same requests to it (the search, then
// the create with the same multipart body, built before the clock starts). Rounds of the
// two alternate, so drift on the machine hits both; send_ratio is adapter/bare
// throughput (target ≥ 0.8).
func BenchmarkSendVsBareHTTP(b *testing.B) {
	const key = "dbs-bench-key"
	srv := dropboxsigntest.New(b, key)
	client, err := New(Config{APIKey: key, APIURL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	ctx := context.Background()
	const round = 50
	next := 0
	adapter := func() time.Duration {
		start := time.Now()
		for range round {
			next++
			if _, err := client.Send(ctx, benchEnvelope(next)); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	do := func(req *http.Request) {
		req.SetBasicAuth(key, "")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
		}
	}
	bare := func() time.Duration {
		forms := make([]sendForm, round)
		ids := make([]string, round)
		for i := range forms {
			next++
			e := benchEnvelope(next)
			if forms[i], err = newSendForm(e, false); err != nil {
				b.Fatal(err)
			}
			ids[i] = e.DocID
		}
		start := time.Now()
		for i, f := range forms {
			q := url.Values{"query": {"metadata:" + ids[i]}, "page": {"1"}, "page_size": {fmt.Sprint(searchPageSize)}}
			list, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/signature_request/list?"+q.Encode(), nil)
			do(list)
			send, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/signature_request/send", bytes.NewReader(f.body))
			send.Header.Set("Content-Type", f.contentType)
			do(send)
		}
		return time.Since(start)
	}
	var ta, tb time.Duration
	for b.Loop() {
		tb += bare()
		ta += adapter()
	}
	sends := float64(b.N * round)
	b.ReportMetric(sends/ta.Seconds(), "adapter_sends/s")
	b.ReportMetric(sends/tb.Seconds(), "bare_sends/s")
	b.ReportMetric(tb.Seconds()/ta.Seconds(), "send_ratio")
}
