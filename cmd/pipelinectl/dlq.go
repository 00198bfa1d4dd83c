package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"trustdocs/dlq"
	"trustdocs/infra"
	"trustdocs/telemetry"
)

func dlqCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect, explain, replay and purge dead letters",
		Long: `dlq works on the dead-letter queues (each queue's name plus DLQ_SUFFIX).

--queue takes a source queue (checkout) or its DLQ (checkout-dlq). Reading a DLQ
receives its messages with a short visibility timeout and makes them visible again at
the end, so show and a dry run leave every message in place.

Replays, purges and job retries are recorded in the ops_action and ops_action_item
tables with who did it: --actor, else $TRUSTDOCS_ACTOR, else the OS user.`,
	}
	cmd.PersistentFlags().Duration("visibility", 30*time.Second, "how long a message read by this command stays hidden if the command dies")
	cmd.AddCommand(dlqListCmd(), dlqShowCmd(), dlqReplayCmd(), dlqPurgeCmd())
	return cmd
}

// dlqClient opens what a dlq command needs.
func dlqClient(cmd *cobra.Command) (*deps, *dlq.Client, func(), error) {
	d, closeDeps, err := open(cmd, needDB|needAWS)
	if err != nil {
		return nil, nil, closeDeps, err
	}
	vis, _ := cmd.Flags().GetDuration("visibility")
	log := zerolog.Nop()
	if d.cfg.LogLevel == "debug" {
		log = telemetry.NewLogger("pipelinectl", "debug")
	}
	c := &dlq.Client{SQS: d.aws.SQS, Pool: d.pool, DLQSuffix: d.cfg.DLQSuffix, Visibility: vis, Log: log,
		Audit: telemetry.NewLogger("pipelinectl", "info"),
		QueueURL: func(ctx context.Context, name string) (string, error) {
			return infra.QueueURL(ctx, d.cfg, d.aws.SQS, name)
		}}
	return d, c, closeDeps, nil
}

// dlqURL resolves --queue, a source queue or a DLQ, to the DLQ's URL.
func dlqURL(cmd *cobra.Command, d *deps, queue string) (string, error) {
	if queue == "" {
		return "", errors.New("--queue is required (a queue such as " + d.cfg.CheckoutQueue + ", or its DLQ)")
	}
	name := queue
	if !strings.HasSuffix(name, d.cfg.DLQSuffix) {
		name = d.cfg.DLQ(queue)
	}
	return infra.QueueURL(cmd.Context(), d.cfg, d.aws.SQS, name)
}

// openDLQ is dlqClient with the URL of the DLQ that --queue names.
func openDLQ(cmd *cobra.Command, queue string) (*dlq.Client, string, func(), error) {
	d, c, closeDeps, err := dlqClient(cmd)
	if err != nil {
		return nil, "", closeDeps, err
	}
	url, err := dlqURL(cmd, d, queue)
	return c, url, closeDeps, err
}

// requireActor is actorOf, or an error when nobody can be named for the record.
func requireActor(flag string) (string, error) {
	if who := actorOf(flag); who != "" {
		return who, nil
	}
	return "", errors.New("no actor: pass --actor or set TRUSTDOCS_ACTOR")
}

// actorOf is who runs a recorded command: --actor, $TRUSTDOCS_ACTOR, or the OS user.
func actorOf(flag string) string {
	if a := strings.TrimSpace(flag); a != "" {
		return a
	}
	if a := strings.TrimSpace(os.Getenv("TRUSTDOCS_ACTOR")); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return ""
}

// listScanLimit bounds how many messages dlq list reads per DLQ to find the oldest.
const listScanLimit = 1000

func dlqListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Each DLQ with its message count and the age of its oldest message",
		Long: `list shows each DLQ (one per queue) with its messages, how many are in flight (being
read by another dlq command), and the age and type of its oldest message. SQS keeps no
oldest-message attribute, so list reads the messages (up to 1000 per DLQ) and leaves
them in place.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, c, closeDeps, err := dlqClient(cmd)
			defer closeDeps()
			if err != nil {
				return err
			}
			type row struct {
				Queue        string  `json:"queue"`
				Messages     int     `json:"messages"`
				InFlight     int     `json:"in_flight"`
				OldestAgeSec float64 `json:"oldest_age_seconds"`
				OldestType   string  `json:"oldest_type,omitempty"`
			}
			var rows []row
			for _, q := range d.cfg.Queues() {
				url, err := infra.QueueURL(cmd.Context(), d.cfg, d.aws.SQS, d.cfg.DLQ(q))
				if err != nil {
					return err
				}
				depth, err := c.Depth(cmd.Context(), url)
				if err != nil {
					return fmt.Errorf("%s: %w", d.cfg.DLQ(q), err)
				}
				r := row{Queue: d.cfg.DLQ(q), Messages: depth.Visible + depth.InFlight, InFlight: depth.InFlight}
				if r.Messages > 0 {
					// SQS keeps no "oldest message" attribute (CloudWatch has
					// ApproximateAgeOfOldestMessage): read them and leave them, up to a bound.
					m, err := c.Oldest(cmd.Context(), url, listScanLimit)
					if err != nil {
						return fmt.Errorf("%s: %w", r.Queue, err)
					}
					if m != nil {
						r.OldestAgeSec, r.OldestType = max(0, time.Since(m.SentAt).Seconds()), m.Type
					}
				}
				rows = append(rows, r)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, rows)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DLQ\tMESSAGES\tIN FLIGHT\tOLDEST\tOLDEST TYPE")
			for _, r := range rows {
				oldest := "-"
				if r.Messages > 0 {
					oldest = age(time.Duration(r.OldestAgeSec * float64(time.Second)))
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", r.Queue, r.Messages, r.InFlight, oldest, r.OldestType)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func dlqShowCmd() *cobra.Command {
	var queue, reason, actor string
	var limit int
	var asJSON, body, unsafe bool
	cmd := &cobra.Command{
		Use:   "show --queue Q [--limit N]",
		Short: "Decode a DLQ's messages (type, ids, subject, error, receives, first failure), leaving them in place",
		Long: `show reads up to --limit messages of a DLQ and prints each decoded: event type and id,
subject (leg, user, document or provider), the error class and text the consumer
attached (or, for a message SQS moved after too many receives, the failure recorded in
message_failure), receives, first failure and any earlier replay. The messages stay in
the DLQ.

Webhooks of the identity and background-check providers (persona, stripe, checkr) carry
personal data: their bodies are never shown, by --body or --json, only the provider's
event id and type. --unsafe-show-body --reason TEXT shows them: the look is recorded
first (ops_action dlq_show_body: who, with the OS user, when, why, and each message id)
and logged as a structured line on stderr.`,
		Example: `  pipelinectl dlq show --queue checkout
  pipelinectl dlq show --queue risk-windows-dlq --limit 5 --json
  pipelinectl dlq show --queue provider-webhooks --unsafe-show-body --reason "INC-231: Persona payload shape changed"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var who, osUser string
			if unsafe {
				if strings.TrimSpace(reason) == "" {
					return errors.New("--unsafe-show-body needs --reason: showing personal data is on the record")
				}
				var err error
				if who, err = requireActor(actor); err != nil {
					return err
				}
				if u, err := user.Current(); err == nil {
					osUser = u.Username
				}
				body = true
			}
			c, url, closeDeps, err := openDLQ(cmd, queue)
			defer closeDeps()
			if err != nil {
				return err
			}
			ms, err := c.Peek(cmd.Context(), url, limit)
			if err != nil {
				return fmt.Errorf("%s: %w", dlq.QueueName(url), err)
			}
			sort.SliceStable(ms, func(i, j int) bool { return ms[i].SentAt.Before(ms[j].SentAt) })
			if unsafe {
				// On the record before anything is shown; no record, nothing shown.
				id, err := c.AuditReveal(cmd.Context(), url, dlq.RevealAudit{Actor: who, OSUser: osUser, Reason: reason}, ms)
				if err != nil {
					return fmt.Errorf("audit of --unsafe-show-body failed, nothing shown: %w", err)
				}
				for _, m := range ms {
					m.RevealBody()
				}
				if id != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "personal data shown: recorded as %s (by %s, reason %q)\n", id, who, reason)
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, ms)
			}
			fmt.Fprintf(out, "%s: %d message(s) shown, oldest first, all left in place\n", dlq.QueueName(url), len(ms))
			for _, m := range ms {
				printMessage(out, m, body)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "queue or DLQ name")
	cmd.Flags().IntVar(&limit, "limit", 20, "most messages to show (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (bodies included, except those with personal data)")
	cmd.Flags().BoolVar(&body, "body", false, "print each message's body too (except those with personal data)")
	cmd.Flags().BoolVar(&unsafe, "unsafe-show-body", false, "also print the bodies with personal data (identity and background-check webhooks); needs --reason, audited")
	cmd.Flags().StringVar(&reason, "reason", "", "why personal data is shown (recorded; required with --unsafe-show-body)")
	cmd.Flags().StringVar(&actor, "actor", "", "who (recorded; default $TRUSTDOCS_ACTOR, else the OS user)")
	return cmd
}

func printMessage(out io.Writer, m *dlq.Message, body bool) {
	or := func(s, alt string) string {
		if s == "" {
			return alt
		}
		return s
	}
	fmt.Fprintf(out, "\nmessage %s\n", m.MessageID)
	fmt.Fprintf(out, "  event      %s  %s\n", or(m.Type, "(no type)"), or(m.EventID, "(no id: not an envelope)"))
	if m.Subject != "" {
		fmt.Fprintf(out, "  subject    %s\n", m.Subject)
	}
	if m.ProviderEventID != "" || m.ProviderEventType != "" {
		fmt.Fprintf(out, "  provider   %s event %s  %s\n", m.Provider, or(m.ProviderEventID, "(no id)"), or(m.ProviderEventType, "(no type)"))
	}
	errFrom := ""
	if m.ErrorFrom == "message_failure" {
		errFrom = " (recorded failure; moved by SQS after too many receives)"
	}
	fmt.Fprintf(out, "  error      %s: %s%s\n", or(m.ErrorClass, "unknown"), or(m.ErrorText, "no reason recorded"), errFrom)
	first := "unknown"
	if m.FirstFailure != nil {
		first = m.FirstFailure.Format(time.RFC3339) + " (" + age(time.Since(*m.FirstFailure)) + " ago)"
	}
	fmt.Fprintf(out, "  receives   %d on %s; first failure %s\n", m.ReceiveCount, m.SourceQueue, first)
	if m.ReplayID != "" {
		fmt.Fprintf(out, "  replayed   before, by %s (%s)\n", m.ReplayedBy, m.ReplayID)
	}
	switch {
	case body && m.BodyRedacted:
		fmt.Fprintf(out, "  body       withheld: %s webhooks carry personal data (--unsafe-show-body --reason TEXT shows it, audited)\n", m.Provider)
	case body:
		fmt.Fprintf(out, "  body       %s\n", m.Body)
	}
}

func dlqReplayCmd() *cobra.Command {
	var queue, since, rate, reason, actor string
	var types, ids, matches []string
	var limit int
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "replay --queue Q [filters] [--dry-run] --reason TEXT",
		Short: "Move matching dead letters back to their source queue, rate-limited and audited",
		Long: `replay moves the messages of a DLQ that match every filter given back to their source
queue (the source_queue attribute, else the DLQ's name without DLQ_SUFFIX), with their
body and attributes unchanged plus replayed_by, replay_id and replay_reason. Messages
that do not match stay in the DLQ. An event already processed is a no-op when it
comes back (the inbox).

Filters: --type (repeatable), --id (event id or message id, repeatable), --since
(first failed within this long, e.g. 2h), --match field=value (repeatable; fields:
event_id, type, subject, error_class, source_queue, message_id, attr.NAME, or a path in
the envelope such as data.user_id). --limit bounds how many move; --rate paces them.

--dry-run lists what would move and changes nothing. Otherwise the replay is recorded
first (ops_action: who, when, why, filter) and every message before it leaves the DLQ
(ops_action_item: its message id, event id and the id of its copy).`,
		Example: `  pipelinectl dlq replay --queue risk-windows --type risk.charge.failed --dry-run
  pipelinectl dlq replay --queue risk-windows --type risk.charge.failed --rate 20/s --reason "INC-123 fixed in v1.4.2"
  pipelinectl dlq replay --queue checkout --match data.leg_id=leg_7Q2M_1 --reason "template fixed"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := dlq.Filter{Types: types, IDs: ids}
			var err error
			if since != "" {
				if f.Since, err = time.ParseDuration(since); err != nil || f.Since <= 0 {
					return fmt.Errorf("--since %q: want a duration such as 30m or 2h", since)
				}
			}
			if f.Match, err = dlq.ParseMatch(matches); err != nil {
				return err
			}
			perSec, err := dlq.ParseRate(rate)
			if err != nil {
				return err
			}
			who := actorOf(actor)
			if !dryRun && strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: a replay is on the record (or use --dry-run)")
			}
			if !dryRun {
				if who, err = requireActor(actor); err != nil {
					return err
				}
			}
			c, url, closeDeps, err := openDLQ(cmd, queue)
			defer closeDeps()
			if err != nil {
				return err
			}
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			verb := "moved"
			if dryRun {
				verb = "would move"
			}
			progress := out
			if asJSON {
				progress = errw
			}
			rep, err := c.Replay(cmd.Context(), url, dlq.ReplayOptions{Filter: f, Limit: limit, Rate: perSec, DryRun: dryRun,
				Actor: who, Reason: reason, Progress: func(n int, m *dlq.Message) {
					fmt.Fprintf(progress, "%s %4d  message %s  %s %s -> %s\n", verb, n, m.MessageID, m.Type, m.EventID, m.SourceQueue)
				}})
			if asJSON && rep != nil {
				if jerr := writeJSON(out, rep); jerr != nil && err == nil {
					err = jerr
				}
			} else if rep != nil {
				switch {
				case dryRun:
					fmt.Fprintf(out, "dry run: %d message(s) would move, %d would stay in %s; nothing changed\n", len(rep.Moved), rep.Kept, rep.Queue)
				default:
					fmt.Fprintf(out, "replay %s by %s: %d message(s) moved, %d left in %s\n", rep.ReplayID, who, len(rep.Moved), rep.Kept, rep.Queue)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "queue or DLQ name")
	cmd.Flags().StringSliceVar(&types, "type", nil, "event type to replay (repeatable)")
	cmd.Flags().StringSliceVar(&ids, "id", nil, "event id or message id to replay (repeatable)")
	cmd.Flags().StringVar(&since, "since", "", "only messages that first failed within this long (e.g. 2h)")
	cmd.Flags().StringArrayVar(&matches, "match", nil, "field=value that must hold (repeatable)")
	cmd.Flags().IntVar(&limit, "limit", 0, "most messages to move (0: no limit)")
	cmd.Flags().StringVar(&rate, "rate", "", "pace, e.g. 10/s (default: as fast as possible)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would move; change nothing")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded; required unless --dry-run)")
	cmd.Flags().StringVar(&actor, "actor", "", "who (recorded; default $TRUSTDOCS_ACTOR, else the OS user)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (progress goes to stderr)")
	return cmd
}

func dlqPurgeCmd() *cobra.Command {
	var queue, reason, actor string
	var yes bool
	cmd := &cobra.Command{
		Use:   "purge --queue Q --reason TEXT [--yes]",
		Short: "Delete every message of a DLQ, after confirmation, recording each one",
		Long: `purge deletes every message of a DLQ. It asks you to type the DLQ's name to confirm
(--yes skips the question, for scripts). The purge is recorded in ops_action with who
and why, and every deleted message's id, event id and type in ops_action_item before
it is deleted. Consider dlq show and dlq replay first: a purged event is gone.`,
		Example: `  pipelinectl dlq purge --queue checkout --reason "test events from the load test"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: a purge is on the record")
			}
			who, err := requireActor(actor)
			if err != nil {
				return err
			}
			c, url, closeDeps, err := openDLQ(cmd, queue)
			defer closeDeps()
			if err != nil {
				return err
			}
			name := dlq.QueueName(url)
			depth, err := c.Depth(cmd.Context(), url)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !yes {
				fmt.Fprintf(out, "purge deletes all %d message(s) of %s for good. Type the DLQ's name to confirm: ", depth.Visible+depth.InFlight, name)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if strings.TrimSpace(line) != name {
					return errors.New("not confirmed: nothing deleted")
				}
			}
			id, n, err := c.Purge(cmd.Context(), url, dlq.PurgeOptions{Actor: who, Reason: reason, Progress: func(n int, m *dlq.Message) {
				if n%100 == 0 {
					fmt.Fprintf(out, "purged %d\n", n)
				}
			}})
			fmt.Fprintf(out, "purge %s by %s: %d message(s) deleted from %s\n", id, who, n, name)
			return err
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "queue or DLQ name")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded; required)")
	cmd.Flags().StringVar(&actor, "actor", "", "who (recorded; default $TRUSTDOCS_ACTOR, else the OS user)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

// age is a duration rounded for a person: 45s, 12m, 3h10m, 2d4h.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Minute).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	days := int(d / (24 * time.Hour))
	return fmt.Sprintf("%dd%dh", days, int((d-time.Duration(days)*24*time.Hour)/time.Hour))
}
