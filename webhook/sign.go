package webhook

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// Sign returns the headers a provider sends with body, signed with secret by that
// provider's own scheme: the other side of the verifiers, for the sandbox providers and
// tests. Dropbox Sign signs inside its body instead (DropboxEventHash).
func Sign(provider, secret string, body []byte, now time.Time) (http.Header, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	t := fmt.Sprint(now.Unix())
	switch provider {
	case "docusign":
		h.Set("X-DocuSign-Signature-1", base64.StdEncoding.EncodeToString(mac(secret, body)))
	case "persona":
		h.Set("Persona-Signature", "t="+t+",v1="+hex.EncodeToString(mac(secret, []byte(t), []byte("."), body)))
	case "stripe":
		h.Set("Stripe-Signature", "t="+t+",v1="+hex.EncodeToString(mac(secret, []byte(t), []byte("."), body)))
	case "checkr":
		h.Set("X-Checkr-Signature", hex.EncodeToString(mac(secret, body)))
	default:
		return nil, fmt.Errorf("no header signature scheme for provider %q", provider)
	}
	return h, nil
}

// DropboxEventHash is a Dropbox Sign event's event_hash: hex HMAC-SHA256 of event_time
// and event_type under the API key.
func DropboxEventHash(apiKey, eventTime, eventType string) string {
	return hex.EncodeToString(mac(apiKey, []byte(eventTime), []byte(eventType)))
}
