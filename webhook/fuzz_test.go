package webhook_test

import (
	"net/http"
	"testing"

	"trustdocs/webhook"
)

// FuzzVerify feeds every verifier arbitrary signature headers, content types and bodies:
// none may panic, and none may accept a request not signed with the configured secrets
// (the fuzzer cannot forge an HMAC).
func FuzzVerify(f *testing.F) {
	for _, r := range []req{
		docusign(docusignBody, "ds-new"), checkr(checkrBody, "ck-new"),
		timestamped("Stripe-Signature", stripeBody, "whsec_new", now), timestamped("Persona-Signature", personaBody, "wbhsec_new", now),
		dropbox("dbx-new", now, nil),
	} {
		for k := range r.header {
			f.Add(k, r.header.Get(k), r.header.Get("Content-Type"), r.body)
		}
	}
	f.Add("Stripe-Signature", "t=1,v1=zz,v1=,t=", "", []byte("{"))
	f.Add("Persona-Signature", "t=1795514400,v1=00 t=,v1", "", []byte(""))
	f.Add("Content-Type", "multipart/form-data; boundary=x", "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{}\r\n--x--"))
	fuzzSecrets := map[string][]string{"docusign": {"k"}, "dropboxsign": {"k"}, "persona": {"k"}, "stripe": {"k"}, "checkr": {"k"}}
	f.Fuzz(func(t *testing.T, header, value, contentType string, body []byte) {
		h := http.Header{}
		h.Set(header, value)
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		for name, verify := range webhook.Verifiers {
			if _, err := verify(h, body, fuzzSecrets[name], now); err == nil && name != "dropboxsign" {
				t.Fatalf("%s accepted an unsigned request: %q=%q body %q", name, header, value, body)
			}
		}
	})
}
