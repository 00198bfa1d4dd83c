package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/esign"
	"trustdocs/store"
	"trustdocs/webhook"
)

func sandboxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "sandbox", Short: "Play the e-sign, identity and background-check providers (demo and development)"}
	cmd.PersistentFlags().String("receiver", "", "receiver base URL (default http://RECEIVER_ADDR)")
	var wait time.Duration
	sign := &cobra.Command{
		Use:   "sign PACK_ID",
		Short: "Have every signer of a pack view and sign, as webhooks posted to the receiver",
		Long: `sign plays the sandbox e-sign provider's part for every sent document of a pack: for
each signer it posts recipient-delivered and recipient-completed, then envelope-completed,
in DocuSign Connect's JSON format, signed with the first WEBHOOK_SECRET_DOCUSIGN, to the
receiver's POST /webhooks/docusign. Like the real provider, it completes an envelope only
after its recipients signed: it waits (--wait) until the pipeline has recorded the
document's signatures. The pipeline then records the evidence and marks the pack
signed, exactly as with the real provider.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, closeDeps, err := open(cmd, needDB)
			if err != nil {
				return err
			}
			defer closeDeps()
			secret, err := providerSecret(d, "docusign")
			if err != nil {
				return err
			}
			receiver := receiverURL(cmd, d)
			docs, err := store.SentDocs(cmd.Context(), d.pool, args[0])
			if err != nil {
				return err
			}
			if len(docs) == 0 {
				return fmt.Errorf("pack %s has no sent documents", args[0])
			}
			at := time.Now().UTC()
			post := func(body []byte) error { return postSigned(cmd, receiver, "docusign", secret, body) }
			for _, dd := range docs {
				roles := dd.Signers.Roles(nil) // sorted: recipient ids 1, 2, ... as the sandbox assigns them
				for i, role := range roles {
					rid := fmt.Sprint(i + 1)
					for _, ev := range []string{"recipient-delivered", "recipient-completed"} {
						at = at.Add(time.Millisecond)
						if err := post(esign.ConnectMessage(ev, dd.EnvelopeID, rid, role, dd.Signers[role].Email, at)); err != nil {
							return err
						}
						fmt.Fprintf(cmd.OutOrStdout(), "%s %-20s %s (%s)\n", dd.DocID, ev, role, dd.EnvelopeID)
					}
				}
				// A real envelope completes after its recipients sign, seconds later; posted
				// at once, the completion could be applied before the signatures (the
				// pipeline handles that, but the evidence would read out of order), so wait
				// until the pipeline has recorded this document's signatures first.
				if err := waitSigned(cmd, d.pool, dd.DocID, len(roles), wait); err != nil {
					return err
				}
				at = at.Add(time.Millisecond)
				if err := post(esign.ConnectMessage("envelope-completed", dd.EnvelopeID, "", "", "", at)); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %-20s (%s)\n", dd.DocID, "envelope-completed", dd.EnvelopeID)
			}
			return nil
		},
	}
	sign.Flags().DurationVar(&wait, "wait", 30*time.Second, "how long to wait for the pipeline to record a document's signatures before completing its envelope (0: do not wait)")
	cmd.AddCommand(sign, sandboxVerifyCmd())
	return cmd
}

// waitSigned waits until doc has n `signed` evidence rows, or gives up after wait.
func waitSigned(cmd *cobra.Command, db store.Querier, doc string, n int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		got, err := store.CountSignEvents(cmd.Context(), db, doc, "signed")
		if err != nil {
			return err
		}
		if got >= n || !time.Now().Before(deadline) {
			if got < n && wait > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "sandbox: %s has %d of %d signatures recorded after %s; completing its envelope anyway\n", doc, got, n, wait)
			}
			return nil
		}
		select {
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// providerSecret is the provider's first WEBHOOK_SECRET_<PROVIDER>, which the sandbox
// signs with.
func providerSecret(d *deps, provider string) (string, error) {
	secrets := d.cfg.WebhookSecrets[provider]
	if len(secrets) == 0 {
		return "", fmt.Errorf("WEBHOOK_SECRET_%s is not set: the receiver would refuse unsigned webhooks", strings.ToUpper(provider))
	}
	return secrets[0], nil
}

// receiverURL is --receiver, else the configured receiver address.
func receiverURL(cmd *cobra.Command, d *deps) string {
	if u, _ := cmd.Flags().GetString("receiver"); u != "" {
		return u
	}
	return "http://" + d.cfg.ReceiverAddr
}

// postSigned posts body to the receiver's POST /webhooks/{provider}, signed with secret
// by the provider's own scheme, and wants 200.
func postSigned(cmd *cobra.Command, receiver, provider, secret string, body []byte) error {
	h, err := webhook.Sign(provider, secret, body, time.Now())
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, receiver+"/webhooks/"+provider, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("receiver at %s: %w", receiver, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("receiver answered %s to the %s webhook", resp.Status, provider)
	}
	return nil
}
