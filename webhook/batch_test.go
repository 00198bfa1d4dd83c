package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"trustdocs/webhook"
)

// fakeSQS records SendMessageBatch calls. Each call first announces itself on started
// (if set), then waits for gate (if set) to be closed, then answers with answer (all
// successful if nil).
type fakeSQS struct {
	mu      sync.Mutex
	calls   [][]sqstypes.SendMessageBatchRequestEntry
	started chan []sqstypes.SendMessageBatchRequestEntry
	gate    chan struct{}
	answer  func([]sqstypes.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error)
}

func (f *fakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in.Entries)
	f.mu.Unlock()
	if f.started != nil {
		f.started <- in.Entries
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.answer != nil {
		return f.answer(in.Entries)
	}
	return allOK(in.Entries), nil
}

func allOK(entries []sqstypes.SendMessageBatchRequestEntry) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range entries {
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + *e.Id)})
	}
	return out
}

func (f *fakeSQS) sent() [][]sqstypes.SendMessageBatchRequestEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]sqstypes.SendMessageBatchRequestEntry(nil), f.calls...)
}

func msg(body string) webhook.Message {
	return webhook.Message{Body: body, Attributes: map[string]sqstypes.MessageAttributeValue{
		"type": {DataType: aws.String("String"), StringValue: aws.String("provider.webhook.received")},
	}}
}

// sendAll sends each body from its own goroutine and returns each Send's error.
func sendAll(ctx context.Context, b *webhook.Batcher, bodies []string) []error {
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = b.Send(ctx, msg(body)) }()
	}
	wg.Wait()
	return errs
}

// handedIn waits until b has taken in n messages.
func handedIn(t *testing.T, b *webhook.Batcher, n int64) {
	t.Helper()
	require.Eventually(t, func() bool { return b.HandedIn() == n }, 5*time.Second, time.Millisecond)
}

func bodies(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	return out
}

func TestBatcherCoalescesConcurrentSendsIntoBatchesOfAtMostTen(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{}
	// A long linger: only the size rule can flush the first batches.
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Second})
	defer b.Close(context.Background())
	want := bodies(25)
	for i, err := range sendAll(context.Background(), b, want) {
		require.NoError(t, err, "send %d", i)
	}
	got := map[string]int{}
	full := 0
	for _, call := range f.sent() {
		require.LessOrEqual(t, len(call), webhook.MaxBatchEntries)
		if len(call) == webhook.MaxBatchEntries {
			full++
		}
		ids := map[string]bool{}
		for _, e := range call {
			require.False(t, ids[*e.Id], "entry ids are distinct within a call")
			ids[*e.Id] = true
			got[*e.MessageBody]++
			require.Equal(t, "provider.webhook.received", *e.MessageAttributes["type"].StringValue, "attributes travel unchanged")
			require.Zero(t, e.DelaySeconds, "no delay: the queue's default, as SendMessage had")
			require.Nil(t, e.MessageDeduplicationId)
		}
	}
	require.GreaterOrEqual(t, full, 2, "25 concurrent sends fill at least two batches of ten: %v", f.sent())
	require.Len(t, got, 25)
	for _, body := range want {
		require.Equal(t, 1, got[body], "each message is sent exactly once: %s", body)
	}
}

func TestBatcherFlushesALoneMessageAfterItsLinger(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{}
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: 5 * time.Millisecond})
	defer b.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, b.Send(ctx, msg("alone")), "sent without waiting for nine others")
	require.GreaterOrEqual(t, time.Since(start), 5*time.Millisecond, "it waited its linger for company")
	require.Len(t, f.sent(), 1)
}

func TestBatcherSplitsBatchesAtTheByteLimit(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{}
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: 200 * time.Millisecond})
	defer b.Close(context.Background())
	big := make([]string, 6) // 6 × 100 KiB: no two batches of three fit under 256 KiB
	for i := range big {
		big[i] = fmt.Sprintf("%d%s", i, strings.Repeat("x", 100<<10))
	}
	for _, err := range sendAll(context.Background(), b, big) {
		require.NoError(t, err)
	}
	n := 0
	for _, call := range f.sent() {
		size := 0
		for _, e := range call {
			size += len(*e.MessageBody) + len("type") + len("String") + len("provider.webhook.received")
			n++
		}
		require.LessOrEqual(t, size, webhook.MaxBatchBytes, "a call stays under SQS's batch size limit")
	}
	require.Equal(t, 6, n)
	require.GreaterOrEqual(t, len(f.sent()), 3)
}

func TestBatcherEntryRefusedAloneFailsOnlyItsOwnSend(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{answer: func(entries []sqstypes.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) {
		out := &sqs.SendMessageBatchOutput{}
		for _, e := range entries {
			if *e.MessageBody == "refused" {
				out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again")})
				continue
			}
			out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
		}
		return out, nil
	}}
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: 50 * time.Millisecond})
	defer b.Close(context.Background())
	in := append(bodies(5), "refused")
	errs := sendAll(context.Background(), b, in)
	for i, err := range errs {
		if in[i] != "refused" {
			require.NoError(t, err, "the others of the batch are queued")
			continue
		}
		var entry *webhook.EntryError
		require.ErrorAs(t, err, &entry)
		require.Equal(t, "InternalError", entry.Code)
		require.False(t, entry.SenderFault)
	}
}

func TestBatcherFailedCallFailsEverySendOfThatCall(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	f := &fakeSQS{answer: func([]sqstypes.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) { return nil, down }}
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: 50 * time.Millisecond})
	defer b.Close(context.Background())
	for _, err := range sendAll(context.Background(), b, bodies(7)) {
		require.ErrorIs(t, err, down)
	}
}

func TestBatcherEntryWithoutAnAnswerIsAnError(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{answer: func(entries []sqstypes.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) {
		var answered []sqstypes.SendMessageBatchRequestEntry
		for _, e := range entries {
			if *e.MessageBody != "unanswered" { // in neither list
				answered = append(answered, e)
			}
		}
		return allOK(answered), nil
	}}
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: 50 * time.Millisecond})
	defer b.Close(context.Background())
	failed := 0
	for _, err := range sendAll(context.Background(), b, append(bodies(3), "unanswered")) {
		if err != nil {
			failed++
			require.Contains(t, err.Error(), "neither success nor failure")
		}
	}
	require.Equal(t, 1, failed, "only the unanswered entry counts as not queued")
}

func TestBatcherSendCancelledWhileWaitingIsNeverSent(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{started: make(chan []sqstypes.SendMessageBatchRequestEntry, 10), gate: make(chan struct{})}
	// One call at a time: while the first is held, later messages wait in the batcher.
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Millisecond, MaxCalls: 1})
	first := make(chan error, 1)
	go func() { first <- b.Send(context.Background(), msg("first")) }()
	<-f.started

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() { waiting <- b.Send(ctx, msg("cancelled")) }()
	handedIn(t, b, 2) // batched, its call blocked behind the first
	cancel()
	select {
	case err := <-waiting:
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), "before it was sent")
	case <-time.After(2 * time.Second):
		t.Fatal("a cancelled Send must return without waiting for SQS")
	}
	later := make(chan error, 1)
	go func() { later <- b.Send(context.Background(), msg("later")) }()
	close(f.gate)
	require.NoError(t, <-first)
	require.NoError(t, <-later)
	require.NoError(t, b.Close(context.Background()))
	for _, call := range f.sent() {
		for _, e := range call {
			require.NotEqual(t, "cancelled", *e.MessageBody, "a message abandoned before its call is never sent")
		}
	}
}

func TestBatcherSendCancelledDuringItsCallDoesNotCancelTheOthers(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{started: make(chan []sqstypes.SendMessageBatchRequestEntry, 10), gate: make(chan struct{})}
	// Ten fill a batch: one call, whatever the timing.
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Hour})
	defer b.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	mine := make(chan error, 1)
	go func() { mine <- b.Send(ctx, msg("mine")) }()
	others := make(chan []error, 1)
	go func() { others <- sendAll(context.Background(), b, bodies(9)) }()
	call := <-f.started
	require.Len(t, call, webhook.MaxBatchEntries, "all ten in one call")
	cancel()
	select {
	case err := <-mine:
		require.ErrorIs(t, err, context.Canceled)
		require.Contains(t, err.Error(), "outcome unknown", "the caller is told its message may be queued")
	case <-time.After(2 * time.Second):
		t.Fatal("a cancelled Send must return without waiting for SQS")
	}
	close(f.gate)
	for _, err := range <-others {
		require.NoError(t, err, "the call went on for the other messages")
	}
}

func TestBatcherCloseSendsWhatItHoldsAndWaitsForTheAnswers(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{started: make(chan []sqstypes.SendMessageBatchRequestEntry, 10), gate: make(chan struct{})}
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Hour}) // only Close or a full batch flushes
	errs := make(chan error, 3)
	for _, body := range bodies(3) {
		go func() { errs <- b.Send(context.Background(), msg(body)) }()
	}
	handedIn(t, b, 3)
	closed := make(chan error, 1)
	go func() { closed <- b.Close(context.Background()) }()
	call := <-f.started
	require.Len(t, call, 3, "Close flushed the partial batch")
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before SQS answered", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(f.gate)
	require.NoError(t, <-closed)
	for range 3 {
		require.NoError(t, <-errs)
	}
	require.ErrorIs(t, b.Send(context.Background(), msg("late")), webhook.ErrBatcherClosed)
}

func TestBatcherCloseGivesUpAtItsDeadline(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{started: make(chan []sqstypes.SendMessageBatchRequestEntry, 10), gate: make(chan struct{})}
	defer close(f.gate)
	b := webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Millisecond})
	go func() { _ = b.Send(context.Background(), msg("held")) }()
	<-f.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, b.Close(ctx), context.DeadlineExceeded)
}
