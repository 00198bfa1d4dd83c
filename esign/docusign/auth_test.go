package docusign_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/docusign"
	"trustdocs/esign/docusign/docusigntest"
)

func TestNewNamesWhatIsWrong(t *testing.T) {
	t.Parallel()
	_, err := docusign.New(docusign.Config{})
	require.EqualError(t, err, "docusign: invalid config: AccountID is empty; IntegrationKey is empty; "+
		"PrivateKeyPEM: empty; UserID is empty; WebhookURL is empty (envelopes would send their Connect events nowhere)")

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})
	rsaPEM := pkcs1(t)

	for _, tc := range []struct {
		name  string
		tweak func(*docusign.Config)
		want  string
	}{
		{"EC key", func(c *docusign.Config) { c.PrivateKeyPEM = ecPEM }, "PrivateKeyPEM: PRIVATE KEY block holds a *ecdsa.PrivateKey, not an RSA key"},
		{"public key", func(c *docusign.Config) { c.PrivateKeyPEM = publicPEM }, `PrivateKeyPEM: PEM block is "PUBLIC KEY", want an RSA private key`},
		{"not PEM", func(c *docusign.Config) { c.PrivateKeyPEM = []byte("-----BEGIN nothing") }, "PrivateKeyPEM: no PEM block found"},
		{"http webhook", func(c *docusign.Config) { c.WebhookURL = "http://hooks.example/webhooks/docusign" }, `WebhookURL: "http://hooks.example/webhooks/docusign" is not https`},
		{"host as auth URL", func(c *docusign.Config) { c.AuthURL = "account-d.docusign.com" }, `AuthURL: "account-d.docusign.com" is not an absolute URL`},
		{"negative attempts", func(c *docusign.Config) { c.MaxAttempts = -1 }, "MaxAttempts is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := docusign.Config{IntegrationKey: "ik", UserID: "u", AccountID: "a", PrivateKeyPEM: rsaPEM,
				WebhookURL: "https://hooks.example/webhooks/docusign"}
			_, err := docusign.New(cfg)
			require.NoError(t, err, "the base config is valid")
			tc.tweak(&cfg)
			_, err = docusign.New(cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func pkcs1(t *testing.T) []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func TestTokenIsFetchedOnceAndReused(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	for i := range 3 {
		_, err := f.client.Send(ctx, envelope(fmt.Sprintf("doc_reuse_%d", i)))
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.ds.TokenRequests())
	require.Equal(t, 1, f.ds.Calls(docusigntest.OpUserInfo), "the base URI is cached too")
	require.Equal(t, 1, f.observed.count("token ok"))
}

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	f.ds.SlowToken(300 * time.Millisecond)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.client.Send(ctx, envelope(fmt.Sprintf("doc_concurrent_%d", i)))
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.Equal(t, 1, f.ds.TokenRequests())
	require.Equal(t, 8, f.ds.Created())
}

func TestCallerGivingUpDoesNotFailTheOthers(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	f.ds.SlowToken(300 * time.Millisecond)
	impatient, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var errImpatient, errPatient error
	wg.Go(func() { _, errImpatient = f.client.Send(impatient, envelope("doc_impatient")) })
	require.Eventually(t, func() bool { return f.ds.TokenRequests() == 1 }, 5*time.Second, time.Millisecond,
		"the impatient caller starts the token request")
	wg.Go(func() { _, errPatient = f.client.Send(t.Context(), envelope("doc_patient")) })
	wg.Wait()
	require.ErrorIs(t, errImpatient, context.DeadlineExceeded)
	require.NoError(t, errPatient, "the token request the impatient caller started carries on for the others")
	require.Equal(t, 1, f.ds.TokenRequests())
}

func TestTokenNearExpiryIsRefreshed(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := setup(t, []docusigntest.Option{docusigntest.WithClock(clk.Now)}, nil)
	ctx := t.Context()
	_, err := f.client.Send(ctx, envelope("doc_expiry_1"))
	require.NoError(t, err)

	clk.Advance(50 * time.Minute) // 10 minutes left: still good
	_, err = f.client.Send(ctx, envelope("doc_expiry_2"))
	require.NoError(t, err)
	require.Equal(t, 1, f.ds.TokenRequests())

	clk.Advance(6 * time.Minute) // 4 minutes left: replaced before it can die in flight
	_, err = f.client.Send(ctx, envelope("doc_expiry_3"))
	require.NoError(t, err)
	require.Equal(t, 2, f.ds.TokenRequests())
}

func TestRevokedTokenIsReplacedOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, nil)
	ctx := t.Context()
	_, err := f.client.Send(ctx, envelope("doc_revoke_1"))
	require.NoError(t, err)
	f.ds.RevokeTokens()
	_, err = f.client.Send(ctx, envelope("doc_revoke_2"))
	require.NoError(t, err)
	require.Equal(t, 2, f.ds.TokenRequests())

	// A 401 that a fresh token does not cure is DocuSign's answer, not retried further.
	f.ds.FailNext(docusigntest.OpList, 401, 0, 2)
	_, err = f.client.Send(ctx, envelope("doc_revoke_3"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 401, pe.Status)
	require.Contains(t, pe.Message, "USER_AUTHENTICATION_FAILED")
	require.Equal(t, 3, f.ds.TokenRequests())
}

func TestWrongKeyIsRefusedPermanently(t *testing.T) {
	t.Parallel()
	f := setup(t, nil, func(c *docusign.Config) { c.PrivateKeyPEM = pkcs1(t) })
	_, err := f.client.Send(t.Context(), envelope("doc_wrong_key"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, pe.Permanent())
	require.Equal(t, "token", pe.Op)
	require.Contains(t, pe.Message, "invalid_grant")
	require.Equal(t, 1, f.ds.TokenRequests(), "a refused grant is not retried")
	require.Zero(t, f.ds.Created())
}
