package testkit

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trustdocs/events"
	"trustdocs/infra"
)

// Listen subscribes a fresh queue to a topic with raw delivery, as the booking system
// listens to pipeline-events, and returns the queue's URL.
func Listen(t testing.TB, clients *infra.AWS, topicARN string) string {
	t.Helper()
	ctx := context.Background()
	q, err := clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("listener-" + Suffix())})
	if err != nil {
		t.Fatalf("listener queue: %v", err)
	}
	qa, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("listener queue: %v", err)
	}
	if _, err := clients.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"),
		Endpoint: aws.String(qa.Attributes["QueueArn"]), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatalf("subscribe listener: %v", err)
	}
	return aws.ToString(q.QueueUrl)
}

// Heard receives what a listener queue holds (three 1-second long polls) and decodes
// each message as an envelope.
func Heard(t testing.TB, clients *infra.AWS, url string) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	for range 3 {
		res, err := clients.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), WaitTimeSeconds: 1, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatalf("receive from listener: %v", err)
		}
		for _, m := range res.Messages {
			var e events.Envelope
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
				t.Fatalf("listener got a non-envelope: %v", err)
			}
			if typ := aws.ToString(m.MessageAttributes[events.TypeAttribute].StringValue); typ != e.Type {
				t.Fatalf("type attribute %q on a %s event", typ, e.Type)
			}
			out = append(out, e)
		}
	}
	return out
}

// PDFText extracts a PDF's text with poppler's pdftotext, as a reader would see it,
// with whitespace folded (wrapping splits long values across lines).
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext not found: install poppler-utils (make up does)")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return Squash(string(out))
}

// Squash folds runs of whitespace into single spaces.
func Squash(s string) string { return strings.Join(strings.Fields(s), " ") }
