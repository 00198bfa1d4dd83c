package webhook_test

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"trustdocs/webhook"
)

// Our Stripe-Signature verifier is our own code; stripe-go's webhook package is Stripe's.
// These tests hold ours to Stripe's on the same bytes: what stripe-go signs, both accept;
// what either refuses, both refuse. The one difference is on purpose and pinned below.

// stripeEventFixture is a Stripe identity.verification_session.verified event, as
// stripe-mock's fixtures shape it (testdata/published/SOURCE.md says how it was made).
const stripeEventFixture = "testdata/published/stripe_event_identity.verification_session.verified.json"

const (
	agreementSecret    = "whsec_agreement_current"
	agreementOldSecret = "whsec_agreement_previous" // still signed with during a rotation
)

// stripeSigned signs payload with secret at ts by stripe-go's own test helper.
func stripeSigned(payload []byte, secret string, ts time.Time) *stripewebhook.SignedPayload {
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts})
}

func TestStripeSignatureAgreement(t *testing.T) {
	t.Parallel()
	payload, err := os.ReadFile(stripeEventFixture)
	require.NoError(t, err)
	require.Equal(t, stripewebhook.DefaultTolerance, webhook.DefaultTolerance, "the same five-minute window")

	// stripe-go checks the age of a timestamp against the real clock, so ours gets it too.
	now := time.Now()
	signed := stripeSigned(payload, agreementSecret, now)
	tampered := bytes.Replace(payload, []byte(`"status": "verified"`), []byte(`"status": "canceled"`), 1)
	require.NotEqual(t, payload, tampered)
	stale := stripeSigned(payload, agreementSecret, now.Add(-webhook.DefaultTolerance-time.Minute))
	recent := stripeSigned(payload, agreementSecret, now.Add(-webhook.DefaultTolerance+time.Minute))
	ahead := stripeSigned(payload, agreementSecret, now.Add(webhook.DefaultTolerance+5*time.Minute))
	v0Only := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: payload, Secret: agreementSecret, Timestamp: now, Scheme: "v0"})
	// During a secret rotation Stripe sends one v1 per active secret: t=…,v1=…,v1=….
	old := stripeSigned(payload, agreementOldSecret, now)
	rotation := signed.Header + ",v1=" + hex.EncodeToString(old.Signature)
	ours, err := webhook.Sign("stripe", agreementSecret, payload, now)
	require.NoError(t, err)

	for _, c := range []struct {
		name             string
		body             []byte
		header, secret   string
		wantOurs, wantGo bool
	}{
		{"signed by stripe-go", payload, signed.Header, agreementSecret, true, true},
		{"signed by our webhook.Sign", payload, ours.Get("Stripe-Signature"), agreementSecret, true, true},
		{"four minutes old", payload, recent.Header, agreementSecret, true, true},
		{"rotation: two v1, checked with the new secret", payload, rotation, agreementSecret, true, true},
		{"rotation: two v1, checked with the old secret", payload, rotation, agreementOldSecret, true, true},
		{"tampered body", tampered, signed.Header, agreementSecret, false, false},
		{"wrong secret", payload, signed.Header, "whsec_someone_else", false, false},
		{"stale timestamp", payload, stale.Header, agreementSecret, false, false},
		{"only a v0 signature", payload, v0Only.Header, agreementSecret, false, false},
		{"no header", payload, "", agreementSecret, false, false},
		// The difference: stripe-go checks only that a timestamp is not too old; ours
		// also refuses one too far ahead (a clock that far off, or a replay set up in
		// advance, is not a delivery Stripe made just now).
		{"ten minutes ahead", payload, ahead.Header, agreementSecret, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			goErr := stripewebhook.ValidatePayloadWithTolerance(c.body, c.header, c.secret, stripewebhook.DefaultTolerance)
			h := http.Header{"Content-Type": {"application/json"}}
			if c.header != "" {
				h.Set("Stripe-Signature", c.header)
			}
			_, ourErr := webhook.VerifyStripe(h, c.body, []string{c.secret}, now)
			require.Equal(t, c.wantGo, goErr == nil, "stripe-go: %v", goErr)
			require.Equal(t, c.wantOurs, ourErr == nil, "ours: %v", ourErr)
			if !c.wantOurs {
				require.ErrorIs(t, ourErr, webhook.ErrSignature, "a refused signature is a 401, not a 400")
			}
		})
	}

	// The stale header is refused for its age alone: both accept it at its own time.
	require.NoError(t, stripewebhook.ValidatePayloadIgnoringTolerance(payload, stale.Header, agreementSecret))
	_, err = webhook.VerifyStripe(http.Header{"Stripe-Signature": {stale.Header}}, payload, []string{agreementSecret}, stale.Timestamp)
	require.NoError(t, err)
	// With both secrets configured (as during a rotation), ours accepts either header.
	for _, h := range []string{signed.Header, old.Header, rotation} {
		_, err := webhook.VerifyStripe(http.Header{"Stripe-Signature": {h}}, payload, []string{agreementOldSecret, agreementSecret}, now)
		require.NoError(t, err, h)
	}
}

// What stripe-go's ConstructEvent reads from the published event, our normalizer reads
// the same: the event id (our dedupe key), its type, and the session it is about.
func TestStripePublishedEventAgreement(t *testing.T) {
	t.Parallel()
	payload, err := os.ReadFile(stripeEventFixture)
	require.NoError(t, err)
	now := time.Now()
	signed := stripeSigned(payload, agreementSecret, now)

	// The fixture's api_version is null (stripe-mock's), which ConstructEvent would
	// refuse as a version mismatch; the signature check is the same either way.
	ev, err := stripewebhook.ConstructEventWithOptions(payload, signed.Header, agreementSecret,
		stripewebhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	require.NoError(t, err)
	_, err = webhook.VerifyStripe(http.Header{"Stripe-Signature": {signed.Header}}, payload, []string{agreementSecret}, now)
	require.NoError(t, err)

	u, err := webhook.NormalizeStripe(payload)
	require.NoError(t, err)
	require.Equal(t, "identity.verification_session.verified", string(ev.Type))
	require.Equal(t, string(ev.Type), u.ProviderEvt)
	require.Equal(t, "stripe|"+ev.ID, u.DedupeKey)
	require.Equal(t, ev.Data.Object["id"], u.ProviderRef)
	require.Equal(t, time.Unix(ev.Created, 0).UTC(), u.At)
	require.Equal(t, "passed", u.Status)
	require.False(t, u.AgeVerified, "Stripe's events carry no date of birth: verify_age retrieves it")
}
