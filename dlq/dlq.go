// Package dlq is what on-call does with dead letters: read them without removing them,
// explain them (the reason the consumer attached, or the failure PostgreSQL recorded for
// a message SQS moved after too many receives), and move the ones a filter selects back
// to their source queue, rate-limited and audited. AWS's own redrive can do none of the
// filtering, previewing or auditing.
//
// # Reading without removing
//
// SQS has no peek: a scan receives messages with a short visibility timeout, holds the
// ones it leaves in place (extending their timeout while the scan runs, so it never sees
// one twice) and makes them visible again when it ends. A scan killed half-way leaves
// them hidden for at most Visibility.
//
// # Replay
//
// A replay sends a copy of the message (same body, same attributes, plus replayed_by,
// replay_id and replay_reason) to its source queue, records it in the audit, and only
// then deletes it from the DLQ. A crash between the steps can leave a copy in both
// queues, never in neither; the consumer's inbox makes a second copy of an event a
// no-op.
package dlq

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"

	"trustdocs/consumer"
	"trustdocs/events"
	"trustdocs/store"
)

// Replay attributes, added to every message a replay sends back.
const (
	AttrReplayedBy   = "replayed_by"
	AttrReplayID     = consumer.AttrReplayID // the consumer logs it when the copy comes back
	AttrReplayReason = "replay_reason"
)

// maxAttributes is SQS's limit of message attributes per message.
const maxAttributes = 10

// Message is one dead letter, decoded for a person.
type Message struct {
	MessageID string `json:"message_id"`
	EventID   string `json:"event_id,omitempty"`
	Type      string `json:"type,omitempty"`
	Subject   string `json:"subject,omitempty"`
	// ErrorClass and ErrorText come from the attributes the consumer attached, or else
	// from the failure recorded in message_failure (ErrorFrom says which).
	ErrorClass      string     `json:"error_class,omitempty"`
	ErrorText       string     `json:"error_text,omitempty"`
	ErrorFrom       string     `json:"error_from,omitempty"` // attributes, message_failure, or empty: unknown
	SourceQueue     string     `json:"source_queue"`
	SourceMessageID string     `json:"source_message_id,omitempty"`
	FirstFailure    *time.Time `json:"first_failure,omitempty"`
	ReceiveCount    int        `json:"receive_count"` // receives on the source queue before it was dead-lettered
	SentAt          time.Time  `json:"sent_at"`       // when SQS first accepted it (SentTimestamp)
	ReplayedBy      string     `json:"replayed_by,omitempty"`
	ReplayID        string     `json:"last_replay_id,omitempty"`
	// Provider is a webhook's provider; for the providers of personal data (identity,
	// background checks) only their event id and type are shown, and Body is empty with
	// BodyRedacted set (see PersonalDataProviders).
	Provider          string `json:"provider,omitempty"`
	ProviderEventID   string `json:"provider_event_id,omitempty"`
	ProviderEventType string `json:"provider_event_type,omitempty"`
	Body              string `json:"body"`
	BodyRedacted      bool   `json:"body_redacted,omitempty"`

	raw     string // the body as received, what a replay sends
	receipt string
	heldAt  time.Time
	attrs   map[string]sqstypes.MessageAttributeValue
	env     map[string]any // the body as JSON; nil when it is not a JSON object
}

// FailedAt is when the message first failed, as well as it is known.
func (m *Message) FailedAt() time.Time {
	if m.FirstFailure != nil {
		return *m.FirstFailure
	}
	return m.SentAt
}

// Field returns a field of the message for --match: a decoded field (message_id,
// event_id, type, subject, error_class, source_queue), attr.NAME for a message
// attribute, or a dotted path into the event envelope (data.user_id, source).
func (m *Message) Field(name string) (string, bool) {
	switch name {
	case "message_id":
		return m.MessageID, true
	case "event_id", "id":
		return m.EventID, m.EventID != ""
	case "type":
		return m.Type, m.Type != ""
	case "subject":
		return m.Subject, m.Subject != ""
	case "error_class":
		return m.ErrorClass, m.ErrorClass != ""
	case "source_queue":
		return m.SourceQueue, true
	}
	if a, ok := strings.CutPrefix(name, "attr."); ok {
		v, ok := m.attrs[a]
		return aws.ToString(v.StringValue), ok
	}
	var cur any = m.env
	for _, part := range strings.Split(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = obj[part]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case nil, map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b), cur != nil
	default:
		return fmt.Sprint(v), true
	}
}

// Client reads, replays and purges the dead-letter queues.
type Client struct {
	SQS  *sqs.Client
	Pool *store.Pool // message_failure and the audit
	// DLQSuffix names each DLQ after its source queue (config DLQ_SUFFIX).
	DLQSuffix string
	// Visibility is how long a scanned message stays hidden if the scan dies; default
	// 30s. Held messages are extended while the scan runs.
	Visibility time.Duration
	// QueueURL resolves a queue name (the source queue of a replay).
	QueueURL func(ctx context.Context, name string) (string, error)
	Log      zerolog.Logger
	// Audit receives the line of each audited look at personal data (AuditReveal); it
	// is never silenced the way Log is for a command's own output.
	Audit zerolog.Logger
}

func (c *Client) visibility() time.Duration {
	if c.Visibility <= 0 {
		return 30 * time.Second
	}
	return max(c.Visibility, time.Second)
}

// Depth is a queue's message counts.
type Depth struct {
	Visible, InFlight int
}

// Depth reads a queue's approximate counts.
func (c *Client) Depth(ctx context.Context, url string) (Depth, error) {
	out, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return Depth{}, fmt.Errorf("queue attributes: %w", err)
	}
	var d Depth
	d.Visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	d.InFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return d, nil
}

// verdict is what a scan's visitor did with a message.
type verdict int

const (
	hold    verdict = iota // leave it in the DLQ
	removed                // it is gone from the DLQ
	stop                   // leave it and end the scan
)

// Peek returns up to limit messages (0: all) of a DLQ, decoded and explained, and leaves
// them in place.
func (c *Client) Peek(ctx context.Context, dlqURL string, limit int) ([]*Message, error) {
	var out []*Message
	err := c.scan(ctx, dlqURL, true, func(m *Message) (verdict, error) {
		out = append(out, m)
		if limit > 0 && len(out) >= limit {
			return stop, nil
		}
		return hold, nil
	})
	return out, err
}

// Oldest returns the oldest of up to limit messages (0: all) of a DLQ, nil if it is
// empty, and leaves them in place. It does not look up why they failed (a query per
// message).
func (c *Client) Oldest(ctx context.Context, dlqURL string, limit int) (*Message, error) {
	var oldest *Message
	n := 0
	err := c.scan(ctx, dlqURL, false, func(m *Message) (verdict, error) {
		if oldest == nil || m.SentAt.Before(oldest.SentAt) {
			oldest = m
		}
		if n++; limit > 0 && n >= limit {
			return stop, nil
		}
		return hold, nil
	})
	return oldest, err
}

// scan visits every message of the queue once, explained if asked (decode). Messages
// the visitor holds stay invisible until the scan ends, then are released. When receives come back empty while
// the queue still counts messages in flight that the scan does not hold (a receive
// response lost in transit, or another scan), it waits for them up to the visibility
// timeout, so a lost response does not hide a message from the scan.
func (c *Client) scan(ctx context.Context, url string, explain bool, visit func(*Message) (verdict, error)) error {
	vis := c.visibility()
	held := map[string]*Message{}
	seen := map[string]bool{}
	defer c.release(context.WithoutCancel(ctx), url, held)
	var idleSince, nextExtend time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			VisibilityTimeout:           int32(vis / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		fresh := 0
		for _, sm := range out.Messages {
			id := aws.ToString(sm.MessageId)
			if seen[id] {
				if h, ok := held[id]; ok { // its hold lapsed: hold it again
					h.receipt, h.heldAt = aws.ToString(sm.ReceiptHandle), time.Now()
				} else { // removed earlier but its delete was lost: delete it again
					c.delete(ctx, url, aws.ToString(sm.ReceiptHandle), id)
				}
				continue
			}
			seen[id] = true
			fresh++
			m := c.decode(ctx, url, sm, explain)
			v, err := visit(m)
			if v != removed {
				held[id] = m
			}
			if err != nil {
				return err
			}
			if v == stop {
				return nil
			}
		}
		if time.Now().After(nextExtend) { // a pass over every held message, a few times per timeout
			c.extend(ctx, url, held)
			nextExtend = time.Now().Add(vis / 4)
		}
		if fresh > 0 {
			idleSince = time.Time{}
			continue
		}
		if idleSince.IsZero() {
			idleSince = time.Now()
		}
		d, err := c.Depth(ctx, url)
		if err != nil {
			return err
		}
		if (d.Visible == 0 && d.InFlight <= len(held)) || time.Since(idleSince) > vis+2*time.Second {
			return nil
		}
		if len(out.Messages) == 0 {
			sleep(ctx, 500*time.Millisecond)
		}
	}
}

// extend renews the hold on messages held for more than half the visibility timeout.
func (c *Client) extend(ctx context.Context, url string, held map[string]*Message) {
	vis := c.visibility()
	var due []*Message
	for _, m := range held {
		if time.Since(m.heldAt) > vis/2 {
			due = append(due, m)
		}
	}
	c.changeVisibility(ctx, url, due, vis)
}

// release makes held messages visible again.
func (c *Client) release(ctx context.Context, url string, held map[string]*Message) {
	ms := make([]*Message, 0, len(held))
	for _, m := range held {
		ms = append(ms, m)
	}
	c.changeVisibility(ctx, url, ms, 0)
}

func (c *Client) changeVisibility(ctx context.Context, url string, ms []*Message, d time.Duration) {
	for len(ms) > 0 {
		chunk := ms[:min(10, len(ms))]
		ms = ms[len(chunk):]
		entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
				ReceiptHandle: aws.String(m.receipt), VisibilityTimeout: int32(d / time.Second)}
			m.heldAt = time.Now()
		}
		out, err := c.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			c.Log.Warn().Err(err).Int("messages", len(chunk)).Msg("change visibility failed; the messages reappear after their timeout")
			continue
		}
		for _, f := range out.Failed {
			c.Log.Warn().Str("entry", aws.ToString(f.Id)).Str("code", aws.ToString(f.Code)).Msg("change visibility failed; the message reappears after its timeout")
		}
	}
}

func (c *Client) delete(ctx context.Context, url, receipt, messageID string) bool {
	if _, err := c.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(receipt)}); err != nil {
		c.Log.Warn().Err(err).Str("message_id", messageID).Msg("delete from the DLQ failed; the message stays there")
		return false
	}
	return true
}

// decode turns an SQS message into a Message: the envelope's id, type and subject, the
// dead-letter attributes, and, if explain, for a message SQS moved on its own (no
// attributes), the failure PostgreSQL recorded.
func (c *Client) decode(ctx context.Context, dlqURL string, sm sqstypes.Message, explain bool) *Message {
	m := &Message{MessageID: aws.ToString(sm.MessageId), Body: aws.ToString(sm.Body), raw: aws.ToString(sm.Body),
		receipt: aws.ToString(sm.ReceiptHandle), heldAt: time.Now(), attrs: sm.MessageAttributes}
	if ms, err := strconv.ParseInt(sm.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		m.SentAt = time.UnixMilli(ms).UTC()
	}
	dec := json.NewDecoder(strings.NewReader(m.Body))
	dec.UseNumber()
	var env map[string]any
	if dec.Decode(&env) == nil {
		m.env = env
		m.EventID, _ = env["id"].(string)
		m.Type, _ = env["type"].(string)
		m.Subject = subject(env)
	}
	attr := func(k string) string { return aws.ToString(sm.MessageAttributes[k].StringValue) }
	if m.Type == "" {
		m.Type = attr(events.TypeAttribute)
	}
	m.redact()
	m.SourceQueue = attr(consumer.AttrSourceQueue)
	if m.SourceQueue == "" {
		m.SourceQueue = strings.TrimSuffix(QueueName(dlqURL), c.DLQSuffix)
	}
	m.SourceMessageID = attr(consumer.AttrSourceMessageID)
	m.ReplayedBy, m.ReplayID = attr(AttrReplayedBy), attr(AttrReplayID)
	if class := attr(consumer.AttrErrorClass); class != "" {
		m.ErrorClass, m.ErrorText, m.ErrorFrom = class, attr(consumer.AttrErrorText), "attributes"
		m.ReceiveCount, _ = strconv.Atoi(attr(consumer.AttrReceiveCount))
		if t, err := time.Parse(time.RFC3339, attr(consumer.AttrFirstFailure)); err == nil {
			m.FirstFailure = &t
		}
		return m
	}
	// Moved by the redrive policy after maxReceiveCount: its id is the source message's.
	m.ReceiveCount, _ = strconv.Atoi(sm.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	if explain && c.Pool != nil {
		f, ok, err := store.LatestFailure(ctx, c.Pool, m.MessageID, m.EventID)
		if err != nil {
			c.Log.Warn().Err(err).Str("message_id", m.MessageID).Msg("could not read the recorded failure")
		}
		if ok {
			m.ErrorClass, m.ErrorText, m.ErrorFrom = f.ErrorClass, f.ErrorText, "message_failure"
			m.ReceiveCount = f.ReceiveCount
			first := f.FirstFailedAt.UTC()
			m.FirstFailure = &first
		}
	}
	return m
}

// subject is what the event is about, for a person: its leg, user, document, pack, or
// for a webhook the provider and receipt.
func subject(env map[string]any) string {
	data, _ := env["data"].(map[string]any)
	for _, k := range []string{"leg_id", "user_id", "doc_id", "pack_id", "candidate_id"} {
		if v, ok := data[k].(string); ok && v != "" {
			return v
		}
	}
	if ids, ok := data["user_ids"].([]any); ok && len(ids) > 0 {
		return fmt.Sprint(ids...)
	}
	if p, ok := data["provider"].(string); ok {
		r, _ := data["receipt_id"].(string)
		return strings.TrimSpace(p + " " + r)
	}
	return ""
}

// QueueName is the name at the end of a queue URL.
func QueueName(url string) string { return url[strings.LastIndexByte(url, '/')+1:] }

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
