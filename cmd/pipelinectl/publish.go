package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"

	"trustdocs/events"
	"trustdocs/infra"
)

func publishCmd() *cobra.Command {
	var queue string
	var noValidate bool
	cmd := &cobra.Command{
		Use:   "publish FILE...",
		Short: "Send event files as the booking system does: validated, to the topic their type routes to",
		Long: `publish sends each event file (an envelope {id, type, source, occurred_at, data}) the way
the upstream systems do: booking.checkout.* to BOOKING_TOPIC; risk.*, trust.* and
booking.leg.completed to RISK_TOPIC; provider.webhook.received straight to WEBHOOK_QUEUE.
The "type" message attribute is set from the envelope. Each file is validated against its
type's JSON Schema first and refused if invalid.

--queue sends straight to a queue instead (bypassing SNS); with --no-validate the file is
sent as it is, which is how a drill injects a poison message.`,
		Example: `  pipelinectl publish events/testdata/contracts/booking.checkout.completed.json
  pipelinectl publish events/examples/*.json
  pipelinectl publish --queue checkout --no-validate poison.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			d, closeDeps, err := open(cmd, needAWS)
			if err != nil {
				return err
			}
			defer closeDeps()
			ctx, cfg, clients := cmd.Context(), d.cfg, d.aws
			// Read and validate every file before sending any, so a bad file sends nothing.
			type msg struct{ file, body, typ string }
			var msgs []msg
			for _, f := range files {
				body, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				typ := ""
				if noValidate {
					var probe struct{ Type string }
					_ = json.Unmarshal(body, &probe)
					typ = probe.Type
				} else {
					env, err := events.Decode(body)
					if err != nil {
						return fmt.Errorf("%s: %w", f, err)
					}
					typ = env.Type
				}
				msgs = append(msgs, msg{f, string(body), typ})
			}
			if noValidate && queue == "" {
				return fmt.Errorf("--no-validate needs --queue: unvalidated files are only sent straight to a queue")
			}
			topicARN := map[events.Destination]string{}
			for _, m := range msgs {
				dest := events.DestinationOf(m.typ)
				var where string
				switch {
				case queue != "" || dest == events.WebhookQueue:
					name := queue
					if name == "" {
						name = cfg.WebhookQueue
					}
					url, err := infra.QueueURL(ctx, cfg, clients.SQS, name)
					if err != nil {
						return err
					}
					in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(m.body)}
					if m.typ != "" {
						in.MessageAttributes = map[string]sqstypes.MessageAttributeValue{
							events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(m.typ)}}
					}
					if _, err := clients.SQS.SendMessage(ctx, in); err != nil {
						return fmt.Errorf("%s: send to queue %s: %s", m.file, name, infra.Reason(err))
					}
					where = "queue " + name
				case dest == events.BookingTopic || dest == events.RiskTopic:
					name := cfg.BookingTopic
					if dest == events.RiskTopic {
						name = cfg.RiskTopic
					}
					if topicARN[dest] == "" {
						if topicARN[dest], err = infra.TopicARN(ctx, cfg, clients.SNS, name); err != nil {
							return err
						}
					}
					if _, err := clients.SNS.Publish(ctx, &sns.PublishInput{
						TopicArn: aws.String(topicARN[dest]), Message: aws.String(m.body),
						MessageAttributes: map[string]snstypes.MessageAttributeValue{
							events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(m.typ)}},
					}); err != nil {
						return fmt.Errorf("%s: publish to %s: %s", m.file, name, infra.Reason(err))
					}
					where = "topic " + name
				default:
					return fmt.Errorf("%s: type %q has no route; use --queue", m.file, m.typ)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "sent %-36s %-34s -> %s\n", m.file, m.typ, where)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "send straight to this SQS queue instead of the type's topic")
	cmd.Flags().BoolVar(&noValidate, "no-validate", false, "send the file as it is, unvalidated (needs --queue)")
	return cmd
}
