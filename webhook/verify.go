// Package webhook verifies provider webhooks on their raw bytes, before anything is
// parsed or stored: DocuSign Connect, Dropbox Sign, Persona, Stripe and Checkr, each by
// its own scheme (docs/reference/providers.md). Several secrets may be configured
// per provider so they can be rotated; comparisons are constant-time.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verification failures. The receiver answers ErrSignature with 401 and ErrMalformed
// with 400; neither enqueues anything.
var (
	ErrSignature = errors.New("signature missing or invalid")
	ErrMalformed = errors.New("malformed payload")
)

// Tolerances on signed timestamps. Persona and Stripe sign a fresh timestamp on every
// delivery, so five minutes is plenty. Dropbox Sign signs the event's own time and
// keeps it on retries, which it makes for about a day: a shorter window would refuse
// its retries.
const (
	DefaultTolerance  = 5 * time.Minute
	DropboxTolerance  = 26 * time.Hour
	maxSignatureParts = 8
)

// Verified is what the receiver keeps of a verified request besides its raw body: the
// headers a normalizer may need later.
type Verified struct {
	Headers map[string]string
}

// Verifier checks one provider's requests.
type Verifier func(h http.Header, body []byte, secrets []string, now time.Time) (Verified, error)

// Verifiers by provider, as they appear in /webhooks/{provider}.
var Verifiers = map[string]Verifier{
	"docusign":    VerifyDocuSign,
	"dropboxsign": VerifyDropboxSign,
	"persona":     VerifyPersona,
	"stripe":      VerifyStripe,
	"checkr":      VerifyCheckr,
}

func mac(secret string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func keep(h http.Header, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if v := h.Get(n); v != "" {
			out[n] = v
		}
	}
	return out
}

func wellFormedJSON(body []byte) error {
	if !json.Valid(body) || len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '{' {
		return fmt.Errorf("%w: body is not a JSON object", ErrMalformed)
	}
	return nil
}

// VerifyDocuSign checks X-DocuSign-Signature-1..N: base64 HMAC-SHA256 of the body; one
// match of any header with any secret is enough (one header per active Connect key).
func VerifyDocuSign(h http.Header, body []byte, secrets []string, _ time.Time) (Verified, error) {
	var sigs [][]byte
	for i := 1; i <= maxSignatureParts; i++ {
		v := h.Get("X-DocuSign-Signature-" + strconv.Itoa(i))
		if v == "" {
			continue
		}
		if raw, err := base64.StdEncoding.DecodeString(v); err == nil {
			sigs = append(sigs, raw)
		}
	}
	if len(sigs) == 0 {
		return Verified{}, fmt.Errorf("%w: no X-DocuSign-Signature header", ErrSignature)
	}
	if !anyMatch(sigs, secrets, func(s string) []byte { return mac(s, body) }) {
		return Verified{}, fmt.Errorf("%w: no DocuSign signature matches", ErrSignature)
	}
	if err := wellFormedJSON(body); err != nil {
		return Verified{}, err
	}
	return Verified{Headers: keep(h, "Content-Type")}, nil
}

// VerifyCheckr checks X-Checkr-Signature: hex HMAC-SHA256 of the body.
func VerifyCheckr(h http.Header, body []byte, secrets []string, _ time.Time) (Verified, error) {
	v := h.Get("X-Checkr-Signature")
	sig, err := hex.DecodeString(strings.TrimSpace(v))
	if v == "" || err != nil {
		return Verified{}, fmt.Errorf("%w: X-Checkr-Signature missing or not hex", ErrSignature)
	}
	if !anyMatch([][]byte{sig}, secrets, func(s string) []byte { return mac(s, body) }) {
		return Verified{}, fmt.Errorf("%w: Checkr signature does not match", ErrSignature)
	}
	if err := wellFormedJSON(body); err != nil {
		return Verified{}, err
	}
	return Verified{Headers: keep(h, "Content-Type")}, nil
}

// VerifyStripe checks Stripe-Signature: t=<unix>,v1=<hex>[,v1=…], v1 = hex
// HMAC-SHA256(secret, t + "." + body), with a timestamp tolerance.
func VerifyStripe(h http.Header, body []byte, secrets []string, now time.Time) (Verified, error) {
	return verifyTimestamped(h, "Stripe-Signature", body, secrets, now, ",")
}

// VerifyPersona checks Persona-Signature: t=<unix>,v1=<hex>, with two space-separated
// sets during a secret rotation; either may match.
func VerifyPersona(h http.Header, body []byte, secrets []string, now time.Time) (Verified, error) {
	return verifyTimestamped(h, "Persona-Signature", body, secrets, now, " ")
}

func verifyTimestamped(h http.Header, header string, body []byte, secrets []string, now time.Time, setSep string) (Verified, error) {
	v := h.Get(header)
	if v == "" {
		return Verified{}, fmt.Errorf("%w: no %s header", ErrSignature, header)
	}
	sets := strings.Split(v, setSep)
	if setSep == "," { // Stripe: one set, several v1 values
		sets = []string{v}
	}
	if len(sets) > maxSignatureParts {
		return Verified{}, fmt.Errorf("%w: too many signature sets", ErrSignature)
	}
	sawFresh := false
	for _, set := range sets {
		var ts string
		var sigs [][]byte
		for _, kv := range strings.Split(strings.TrimSpace(set), ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				continue
			}
			switch k {
			case "t":
				ts = val
			case "v1":
				if raw, err := hex.DecodeString(val); err == nil && len(sigs) < maxSignatureParts {
					sigs = append(sigs, raw)
				}
			}
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || len(sigs) == 0 {
			continue
		}
		if d := now.Sub(time.Unix(sec, 0)); d > DefaultTolerance || d < -DefaultTolerance {
			continue
		}
		sawFresh = true
		if anyMatch(sigs, secrets, func(s string) []byte { return mac(s, []byte(ts), []byte("."), body) }) {
			if err := wellFormedJSON(body); err != nil {
				return Verified{}, err
			}
			return Verified{Headers: keep(h, "Content-Type", header)}, nil
		}
	}
	if !sawFresh {
		return Verified{}, fmt.Errorf("%w: %s has no timestamp within %s", ErrSignature, header, DefaultTolerance)
	}
	return Verified{}, fmt.Errorf("%w: no %s signature matches", ErrSignature, header)
}

// VerifyDropboxSign checks a Dropbox Sign callback: multipart/form-data whose field
// `json` holds the event; event.event_hash = hex HMAC-SHA256(api key, event_time +
// event_type). The hash does not cover the body, so the event time must be fresh.
func VerifyDropboxSign(h http.Header, body []byte, secrets []string, now time.Time) (Verified, error) {
	raw, err := dropboxJSON(h.Get("Content-Type"), body)
	if err != nil {
		return Verified{}, err
	}
	var p struct {
		Event struct {
			EventTime string `json:"event_time"`
			EventType string `json:"event_type"`
			EventHash string `json:"event_hash"`
		} `json:"event"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return Verified{}, fmt.Errorf("%w: json field: %w", ErrMalformed, err)
	}
	e := p.Event
	sig, err := hex.DecodeString(e.EventHash)
	if e.EventHash == "" || err != nil {
		return Verified{}, fmt.Errorf("%w: event_hash missing or not hex", ErrSignature)
	}
	sec, err := strconv.ParseInt(e.EventTime, 10, 64)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: event_time %q", ErrMalformed, e.EventTime)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > DropboxTolerance || d < -DefaultTolerance {
		return Verified{}, fmt.Errorf("%w: event_time outside %s", ErrSignature, DropboxTolerance)
	}
	if !anyMatch([][]byte{sig}, secrets, func(s string) []byte { return mac(s, []byte(e.EventTime), []byte(e.EventType)) }) {
		return Verified{}, fmt.Errorf("%w: Dropbox Sign event_hash does not match", ErrSignature)
	}
	return Verified{Headers: keep(h, "Content-Type")}, nil
}

// dropboxJSON returns the `json` form field of a Dropbox Sign callback.
func dropboxJSON(contentType string, body []byte) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, fmt.Errorf("%w: want multipart/form-data", ErrMalformed)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: no json field", ErrMalformed)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if part.FormName() != "json" {
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(part, int64(len(body))))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%w: json field is not JSON", ErrMalformed)
		}
		return raw, nil
	}
}

// anyMatch reports whether any candidate signature equals the MAC of any secret,
// comparing in constant time.
func anyMatch(candidates [][]byte, secrets []string, macFor func(string) []byte) bool {
	ok := false
	for _, s := range secrets {
		want := macFor(s)
		for _, c := range candidates {
			if hmac.Equal(c, want) {
				ok = true // keep going: the time taken does not depend on which matched
			}
		}
	}
	return ok
}
