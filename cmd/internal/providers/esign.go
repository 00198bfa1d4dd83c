// Package providers builds the outside providers the binaries talk to from the
// configuration, the same way for the worker and for pipelinectl.
package providers

import (
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"trustdocs/config"
	"trustdocs/esign"
	"trustdocs/esign/docusign"
	"trustdocs/esign/dropboxsign"
)

// ESign builds the e-sign provider ESIGN_PROVIDER names, refusing one that is
// half-configured (one line naming what is missing). With reg, every operation it makes
// is counted by provider, operation and outcome, the metric on-call alerts on for
// permanent refusals.
func ESign(cfg config.Config, reg prometheus.Registerer) (esign.Provider, error) {
	if miss := cfg.ESign.Missing(cfg.WebhookSecrets); miss != "" {
		return nil, errors.New(miss)
	}
	observe := func(string) func(op, outcome string) { return nil }
	if reg != nil {
		requests := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_esign_requests_total",
			Help: "Operations of the e-sign provider by outcome (ok, retried, permanent, failed).",
		}, []string{"provider", "op", "outcome"})
		reg.MustRegister(requests)
		observe = func(provider string) func(op, outcome string) {
			return func(op, outcome string) { requests.WithLabelValues(provider, op, outcome).Inc() }
		}
	}
	switch cfg.ESign.Provider {
	case config.ESignDocuSign:
		key, err := os.ReadFile(cfg.ESign.DocuSignPrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("DOCUSIGN_PRIVATE_KEY_FILE: %w", err)
		}
		c, err := docusign.New(docusign.Config{
			AuthURL: cfg.ESign.DocuSignAuthURL, IntegrationKey: cfg.ESign.DocuSignIntegrationKey, UserID: cfg.ESign.DocuSignUserID,
			AccountID: cfg.ESign.DocuSignAccountID, PrivateKeyPEM: key, WebhookURL: cfg.ESign.WebhookPublicURL + "/webhooks/docusign",
			Observe: observe(config.ESignDocuSign),
		})
		if err != nil {
			return nil, fmt.Errorf("docusign: %w", err)
		}
		return c, nil
	case config.ESignDropboxSign:
		c, err := dropboxsign.New(dropboxsign.Config{APIKey: cfg.ESign.DropboxSignAPIKey, APIURL: cfg.ESign.DropboxSignAPIURL,
			TestMode: cfg.ESign.DropboxSignTestMode, Observe: observe(config.ESignDropboxSign)})
		if err != nil {
			return nil, fmt.Errorf("dropboxsign: %w", err)
		}
		return c, nil
	}
	return esign.Sandbox{}, nil
}
