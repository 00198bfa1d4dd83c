package webhook

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// BatchAPI is the one SQS call the batcher makes: *sqs.Client has it, tests fake it.
type BatchAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SQS's limits on one SendMessageBatch call. The byte cap is the 256 KiB SQS had until
// 2025 (and LocalStack still has), not today's 1 MiB: a batch under it is accepted
// everywhere, and webhooks are a few KB, so it rarely cuts a batch short.
const (
	MaxBatchEntries = 10
	MaxBatchBytes   = 256 << 10
)

const defaultMaxCalls = 64

// ErrBatcherClosed is returned by Send after Close: the receiver is shutting down, and
// the provider should retry against another instance or later.
var ErrBatcherClosed = errors.New("enqueue refused: the receiver is shutting down")

// EntryError is SQS refusing one entry of a batch that it otherwise accepted.
type EntryError struct {
	Code, Message string
	SenderFault   bool
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("SendMessageBatch entry refused: %s: %s (sender fault: %t)", e.Code, e.Message, e.SenderFault)
}

// Message is one SQS message as SendMessage would send it.
type Message struct {
	Body       string
	Attributes map[string]sqstypes.MessageAttributeValue
}

// size is what SQS counts against its limits: the body, and each attribute's name,
// type and value.
func (m Message) size() int {
	n := len(m.Body)
	for k, v := range m.Attributes {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

// BatchOptions tune a Batcher; zero fields take the defaults.
type BatchOptions struct {
	// Linger is how long the first message of a batch waits for others: the latency
	// batching may add to a request. Default 2ms.
	Linger time.Duration
	// MaxCalls bounds the SendMessageBatch calls in flight; when all are busy, messages
	// wait and the next batches fill up. Default 64: calls rarely overlap while SQS
	// answers in milliseconds, but when it slows to 100 ms, 64 calls of 10 still carry
	// 6,400 messages a second. The client needs as many idle connections per host
	// (NewHandler sees to it), or calls beyond them dial and close their own.
	MaxCalls int
	// CallTimeout bounds one SendMessageBatch call, retries included. Default 5s.
	CallTimeout time.Duration
}

// Batcher coalesces the messages of concurrent requests into SendMessageBatch calls of
// up to MaxBatchEntries, sent when a batch is full or its first message has waited
// Linger. Send returns only once SQS has answered for that message, so a caller that
// gets nil knows its message is queued, as with SendMessage: batching saves round
// trips, not durability.
type Batcher struct {
	api      BatchAPI
	queueURL string
	opt      BatchOptions

	in    chan *pending
	slots chan struct{}
	calls sync.WaitGroup
	done  chan struct{}
	start sync.Once

	mu     sync.RWMutex // held for reading while a message is handed in, for writing by Close
	closed bool

	handedIn atomic.Int64 // messages taken in since the start, for tests to wait on
}

// A message's life in the batcher: waiting in a batch, taken into a call, or abandoned
// by its caller before any call took it (then it is never sent).
const (
	stateWaiting int32 = iota
	stateTaken
	stateAbandoned
)

type pending struct {
	msg   Message
	size  int
	state atomic.Int32
	done  chan error // buffered: a call never waits for a caller that went away
}

// NewBatcher returns a batcher for queueURL; its goroutine starts with the first Send.
func NewBatcher(api BatchAPI, queueURL string, opt BatchOptions) *Batcher {
	if opt.Linger <= 0 {
		opt.Linger = 2 * time.Millisecond
	}
	if opt.MaxCalls <= 0 {
		opt.MaxCalls = defaultMaxCalls
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 5 * time.Second
	}
	return &Batcher{api: api, queueURL: queueURL, opt: opt,
		in: make(chan *pending, MaxBatchEntries*opt.MaxCalls), slots: make(chan struct{}, opt.MaxCalls), done: make(chan struct{})}
}

// Send queues m and returns once SQS accepted it (nil) or refused it. If ctx ends
// before a call took m, m is never sent; if it ends while the call is under way, Send
// returns at once and m may still be queued (a retry of the same webhook is then a
// duplicate, which the worker drops by the provider's event id).
func (b *Batcher) Send(ctx context.Context, m Message) error {
	if b.api == nil {
		return errors.New("enqueue: no SQS client")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("enqueue not attempted: %w", err)
	}
	b.start.Do(func() { go b.collect() })
	p := &pending{msg: m, size: m.size(), done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrBatcherClosed
	}
	select {
	case b.in <- p:
		b.mu.RUnlock()
		b.handedIn.Add(1)
	case <-ctx.Done():
		b.mu.RUnlock()
		return fmt.Errorf("enqueue not attempted (batcher full): %w", ctx.Err())
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		if p.state.CompareAndSwap(stateWaiting, stateAbandoned) {
			return fmt.Errorf("enqueue abandoned before it was sent: %w", ctx.Err())
		}
		select {
		case err := <-p.done: // answered as ctx ended: the answer is known
			return err
		default:
			return fmt.Errorf("enqueue outcome unknown (the call was under way): %w", ctx.Err())
		}
	}
}

// Close stops taking messages, sends those already handed in and waits for every call
// to answer, or for ctx to end. Send after Close returns ErrBatcherClosed.
func (b *Batcher) Close(ctx context.Context) error {
	b.start.Do(func() { go b.collect() })
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.in)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("batcher drain: %w", ctx.Err())
	}
}

// collect forms batches from b.in and hands each to a call.
func (b *Batcher) collect() {
	defer close(b.done)
	var batch []*pending
	size := 0
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		timer.Stop()
		if len(batch) > 0 {
			b.dispatch(batch)
		}
		batch, size = nil, 0
	}
	for {
		var p *pending
		ok := true
		if len(batch) == 0 {
			p, ok = <-b.in
		} else {
			select {
			case p, ok = <-b.in:
			case <-timer.C:
				flush()
				continue
			}
		}
		if !ok {
			flush()
			b.calls.Wait()
			return
		}
		if len(batch) > 0 && size+p.size > MaxBatchBytes {
			flush()
		}
		if len(batch) == 0 {
			timer.Reset(b.opt.Linger)
		}
		batch = append(batch, p)
		size += p.size
		if len(batch) == MaxBatchEntries {
			flush()
		}
	}
}

// dispatch waits for a free call slot: while every slot is busy, messages pile up in
// b.in and the next batches leave full.
func (b *Batcher) dispatch(batch []*pending) {
	b.slots <- struct{}{}
	b.calls.Add(1)
	go func() {
		defer func() { <-b.slots; b.calls.Done() }()
		b.send(batch)
	}()
}

// send makes one SendMessageBatch call and answers each of its messages: nil for the
// Successful ones, an *EntryError for the Failed ones, the call's error to all if the
// call failed.
func (b *Batcher) send(batch []*pending) {
	entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(batch))
	byID := make(map[string]*pending, len(batch))
	for i, p := range batch {
		if !p.state.CompareAndSwap(stateWaiting, stateTaken) {
			continue // its caller has gone and was told nothing was sent
		}
		id := strconv.Itoa(i)
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
			Id: aws.String(id), MessageBody: aws.String(p.msg.Body), MessageAttributes: p.msg.Attributes,
		})
		byID[id] = p
	}
	if len(entries) == 0 {
		return
	}
	// Not a caller's context: one caller going away must not cancel the others' call.
	ctx, cancel := context.WithTimeout(context.Background(), b.opt.CallTimeout)
	out, err := b.api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(b.queueURL), Entries: entries})
	cancel()
	if err != nil {
		err = fmt.Errorf("SendMessageBatch of %d: %w", len(entries), err)
		for _, p := range byID {
			p.done <- err
		}
		return
	}
	for _, s := range out.Successful {
		if p := byID[aws.ToString(s.Id)]; p != nil {
			p.done <- nil
			delete(byID, aws.ToString(s.Id))
		}
	}
	for _, f := range out.Failed {
		if p := byID[aws.ToString(f.Id)]; p != nil {
			p.done <- &EntryError{Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
			delete(byID, aws.ToString(f.Id))
		}
	}
	for id, p := range byID {
		p.done <- fmt.Errorf("SendMessageBatch answered neither success nor failure for entry %s", id)
	}
}
