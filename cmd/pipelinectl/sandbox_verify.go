package main

import (
	"fmt"
	"time"

	"trustdocs/store"

	"github.com/spf13/cobra"
)

// sandboxVerifyCmd plays the identity and background-check providers for one user:
// a Persona inquiry approved with an adult's verified age, then (if a background check
// was requested for the user) a Checkr report completed clear, each signed by that
// provider's own scheme and posted to the receiver.
func sandboxVerifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify USER_ID",
		Short: "Have the user pass identity verification (Persona) and, if requested, a background check (Checkr)",
		Long: `verify posts, signed with the first WEBHOOK_SECRET_PERSONA, a Persona inquiry.approved
webhook whose reference-id is USER_ID and whose verification carries an adult's date of
birth (which the pipeline turns into age_verified and drops). If a background check was
requested for the user (trust.background_check.requested), it then posts a Checkr
report.completed with result clear for that candidate, signed with the first
WEBHOOK_SECRET_CHECKR. The pipeline issues id_verified and trusted_pro and refreshes the
user's trust_cache item, exactly as with the real providers.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := args[0]
			d, closeDeps, err := open(cmd, needDB)
			if err != nil {
				return err
			}
			defer closeDeps()
			persona, err := providerSecret(d, "persona")
			if err != nil {
				return err
			}
			receiver := receiverURL(cmd, d)
			now := time.Now().UTC()
			stamp := fmt.Sprint(now.UnixNano())
			body := []byte(fmt.Sprintf(`{"data":{"type":"event","id":"evt_sbx_%s","attributes":{"name":"inquiry.approved","created-at":%q,
"payload":{"data":{"type":"inquiry","id":"inq_sbx_%s","attributes":{"status":"approved","reference-id":%q}},
"included":[{"type":"verification/government-id","attributes":{"status":"passed","birthdate":"1990-01-02",
"checks":[{"name":"id_expired_detection","status":"passed","reasons":[]},{"name":"id_age_inconsistency_detection","status":"passed","reasons":[]}]}},
{"type":"verification/selfie","attributes":{"status":"passed","checks":[{"name":"selfie_id_comparison","status":"passed","reasons":[]}]}}]}}}}`,
				stamp, now.Format(time.RFC3339Nano), stamp, user))
			if err := postSigned(cmd, receiver, "persona", persona, body); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "persona  inquiry.approved   %s (inq_sbx_%s)\n", user, stamp)

			candidate, found, err := store.LatestCandidate(cmd.Context(), d.pool, "checkr", user)
			if err != nil {
				return err
			}
			if !found {
				fmt.Fprintf(cmd.OutOrStdout(), "checkr   no background check requested for %s: skipped\n", user)
				return nil
			}
			checkr, err := providerSecret(d, "checkr")
			if err != nil {
				return err
			}
			body = []byte(fmt.Sprintf(`{"id":"evt_sbx_%s","object":"event","type":"report.completed","created_at":%q,
"data":{"object":{"id":"rep_sbx_%s","object":"report","status":"complete","result":"clear","candidate_id":%q}}}`,
				stamp, now.Add(time.Second).Format(time.RFC3339), stamp, candidate))
			if err := postSigned(cmd, receiver, "checkr", checkr, body); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "checkr   report.completed   clear for candidate %s\n", candidate)
			return nil
		},
	}
	return cmd
}
