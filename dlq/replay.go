package dlq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trustdocs/consumer"
	"trustdocs/store"
)

// Filter selects dead letters; every set criterion must hold.
type Filter struct {
	Types []string          // event types (exact)
	IDs   []string          // event ids or message ids
	Since time.Duration     // first failed within this long
	Match map[string]string // Message.Field(name) == value
}

// Matches reports whether m passes the filter at time now.
func (f Filter) Matches(m *Message, now time.Time) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, m.Type) {
		return false
	}
	if len(f.IDs) > 0 && !slices.Contains(f.IDs, m.EventID) && !slices.Contains(f.IDs, m.MessageID) {
		return false
	}
	if f.Since > 0 && m.FailedAt().Before(now.Add(-f.Since)) {
		return false
	}
	for k, want := range f.Match {
		if got, ok := m.Field(k); !ok || got != want {
			return false
		}
	}
	return true
}

// Describe is the filter as audit fields.
func (f Filter) Describe() map[string]string {
	d := map[string]string{}
	if len(f.Types) > 0 {
		d["type"] = strings.Join(f.Types, ",")
	}
	if len(f.IDs) > 0 {
		d["id"] = strings.Join(f.IDs, ",")
	}
	if f.Since > 0 {
		d["since"] = f.Since.String()
	}
	for k, v := range f.Match {
		d["match."+k] = v
	}
	return d
}

// ParseMatch parses field=value pairs.
func ParseMatch(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--match %q: want field=value", p)
		}
		out[k] = v
	}
	return out, nil
}

// ParseRate parses a rate such as "10/s", "10" or "600/m" into messages per second.
func ParseRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--rate %q: want a positive number per second, like 10/s", s)
	}
	switch unit {
	case "", "s":
		return n, nil
	case "m":
		return n / 60, nil
	}
	return 0, fmt.Errorf("--rate %q: unit must be /s or /m", s)
}

// ReplayOptions configure a replay.
type ReplayOptions struct {
	Filter Filter
	Limit  int     // most messages to move; 0: no limit
	Rate   float64 // messages per second; 0: as fast as possible
	DryRun bool    // list what would move; move and record nothing
	Actor  string
	Reason string
	// Progress is told of each message moved (or, in a dry run, that would move).
	Progress func(n int, m *Message)
}

// ReplayReport says what a replay did.
type ReplayReport struct {
	ReplayID string     `json:"replay_id,omitempty"`
	Queue    string     `json:"queue"`
	DryRun   bool       `json:"dry_run"`
	Moved    []*Message `json:"moved"` // in a dry run: would move
	Kept     int        `json:"kept"`  // seen and left in the DLQ (not matched, or past the limit)
}

// NewActionID returns a fresh audit id with the given prefix.
func NewActionID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + time.Now().UTC().Format("20060102T150405") + "_" + hex.EncodeToString(b)
}

// Replay moves the matching messages of a DLQ back to their source queues, recording
// the replay and each message in the audit (ops_action, ops_action_item) before the
// message leaves the DLQ. Messages that do not match stay where they are.
func (c *Client) Replay(ctx context.Context, dlqURL string, o ReplayOptions) (*ReplayReport, error) {
	rep := &ReplayReport{Queue: QueueName(dlqURL), DryRun: o.DryRun}
	if !o.DryRun {
		if strings.TrimSpace(o.Reason) == "" || strings.TrimSpace(o.Actor) == "" {
			return rep, errors.New("a replay needs a reason and an actor: it is on the record")
		}
		rep.ReplayID = NewActionID("rpl")
		if err := store.StartOpsAction(ctx, c.Pool, store.OpsAction{ActionID: rep.ReplayID, Action: "dlq_replay",
			Actor: o.Actor, Reason: o.Reason, Queue: rep.Queue, Filter: o.Filter.Describe()}); err != nil {
			return rep, err
		}
		defer func() {
			if err := store.FinishOpsAction(context.WithoutCancel(ctx), c.Pool, rep.ReplayID); err != nil {
				c.Log.Warn().Err(err).Str("replay_id", rep.ReplayID).Msg("could not record the end of the replay")
			}
		}()
	}
	log := c.Log.With().Str("replay_id", rep.ReplayID).Str("queue", rep.Queue).Logger()
	targets := map[string]string{}
	now := time.Now()
	var next time.Time // the rate limiter's next slot
	err := c.scan(ctx, dlqURL, true, func(m *Message) (verdict, error) {
		if !o.Filter.Matches(m, now) {
			rep.Kept++
			return hold, nil
		}
		if o.Limit > 0 && len(rep.Moved) >= o.Limit {
			rep.Kept++
			return stop, nil
		}
		if o.DryRun {
			rep.Moved = append(rep.Moved, m)
			if o.Progress != nil {
				o.Progress(len(rep.Moved), m)
			}
			return hold, nil
		}
		if o.Rate > 0 {
			if wait := time.Until(next); wait > 0 {
				sleep(ctx, wait)
			}
			next = time.Now().Add(time.Duration(float64(time.Second) / o.Rate))
		}
		target, ok := targets[m.SourceQueue]
		if !ok {
			url, err := c.QueueURL(ctx, m.SourceQueue)
			if err != nil {
				return hold, fmt.Errorf("source queue of message %s: %w", m.MessageID, err)
			}
			targets[m.SourceQueue], target = url, url
		}
		out, err := c.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(target), MessageBody: aws.String(m.raw),
			MessageAttributes: replayAttributes(m.attrs, o.Actor, rep.ReplayID, o.Reason)})
		if err != nil {
			return hold, fmt.Errorf("send message %s to %s: %w", m.MessageID, m.SourceQueue, err)
		}
		newID := aws.ToString(out.MessageId)
		// The copy is out: finish this message even if the replay is interrupted now.
		fctx := context.WithoutCancel(ctx)
		// On the record before it leaves the DLQ: if this fails, the copy in the source
		// queue is a duplicate the inbox absorbs, and the original stays to be replayed.
		if err := store.RecordOpsItem(fctx, c.Pool, store.OpsItem{ActionID: rep.ReplayID, ItemID: m.MessageID,
			EventID: m.EventID, EventType: m.Type, NewMessageID: newID}); err != nil {
			return hold, err
		}
		if !c.delete(fctx, dlqURL, m.receipt, m.MessageID) {
			return hold, fmt.Errorf("message %s was sent to %s but is still in the DLQ; replaying it again is harmless", m.MessageID, m.SourceQueue)
		}
		rep.Moved = append(rep.Moved, m)
		log.Info().Str("message_id", m.MessageID).Str("new_message_id", newID).Str("event_id", m.EventID).
			Str("type", m.Type).Str("to", m.SourceQueue).Msg("replayed")
		if o.Progress != nil {
			o.Progress(len(rep.Moved), m)
		}
		return removed, nil
	})
	return rep, err
}

// replayAttributes keeps a message's attributes and adds the replay's. SQS allows ten
// attributes: if there is no room, the reason goes first (the audit keeps it), then the
// error text (message_failure keeps it).
func replayAttributes(orig map[string]sqstypes.MessageAttributeValue, actor, replayID, reason string) map[string]sqstypes.MessageAttributeValue {
	attrs := map[string]sqstypes.MessageAttributeValue{}
	for k, v := range orig {
		attrs[k] = v
	}
	str := func(k, v string) {
		attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	str(AttrReplayedBy, actor)
	str(AttrReplayID, replayID)
	str(AttrReplayReason, reason[:min(len(reason), 256)])
	for _, drop := range []string{AttrReplayReason, consumer.AttrErrorText, consumer.AttrSourceMessageID} {
		if len(attrs) <= maxAttributes {
			break
		}
		delete(attrs, drop)
	}
	return attrs
}

// PurgeOptions configure a purge.
type PurgeOptions struct {
	Actor, Reason string
	Progress      func(n int, m *Message)
}

// Purge deletes every message of a DLQ, recording the purge and each message id, event
// id and type in the audit first (SQS's PurgeQueue would say neither what it deleted
// nor allow a record per message).
func (c *Client) Purge(ctx context.Context, dlqURL string, o PurgeOptions) (string, int, error) {
	if strings.TrimSpace(o.Reason) == "" || strings.TrimSpace(o.Actor) == "" {
		return "", 0, errors.New("a purge needs a reason and an actor: it is on the record")
	}
	id := NewActionID("prg")
	if err := store.StartOpsAction(ctx, c.Pool, store.OpsAction{ActionID: id, Action: "dlq_purge", Actor: o.Actor,
		Reason: o.Reason, Queue: QueueName(dlqURL)}); err != nil {
		return id, 0, err
	}
	defer func() { _ = store.FinishOpsAction(context.WithoutCancel(ctx), c.Pool, id) }()
	n := 0
	err := c.scan(ctx, dlqURL, false, func(m *Message) (verdict, error) {
		if err := store.RecordOpsItem(ctx, c.Pool, store.OpsItem{ActionID: id, ItemID: m.MessageID, EventID: m.EventID, EventType: m.Type}); err != nil {
			return hold, err
		}
		if !c.delete(ctx, dlqURL, m.receipt, m.MessageID) {
			return hold, nil
		}
		n++
		c.Log.Info().Str("purge_id", id).Str("message_id", m.MessageID).Str("event_id", m.EventID).Msg("purged")
		if o.Progress != nil {
			o.Progress(n, m)
		}
		return removed, nil
	})
	return id, n, err
}
