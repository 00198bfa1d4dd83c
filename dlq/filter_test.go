package dlq

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"
)

func str(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestFilterSelectsOnEveryCriterion(t *testing.T) {
	t.Parallel()
	now := time.Now()
	failed := now.Add(-time.Hour)
	m := &Message{MessageID: "m1", EventID: "evt_1", Type: "risk.charge.failed", ErrorClass: "internal", SourceQueue: "risk-windows",
		FirstFailure: &failed, attrs: map[string]sqstypes.MessageAttributeValue{"type": str("risk.charge.failed")},
		env: map[string]any{"source": "booking", "data": map[string]any{"user_id": "usr_1", "amount": 12}}}
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{Types: []string{"risk.dispute.opened", "risk.charge.failed"}}, true},
		{Filter{Types: []string{"risk.dispute.opened"}}, false},
		{Filter{IDs: []string{"evt_1"}}, true},
		{Filter{IDs: []string{"m1"}}, true},
		{Filter{IDs: []string{"evt_2"}}, false},
		{Filter{Since: 2 * time.Hour}, true},
		{Filter{Since: 30 * time.Minute}, false},
		{Filter{Match: map[string]string{"data.user_id": "usr_1", "source": "booking"}}, true},
		{Filter{Match: map[string]string{"data.amount": "12"}}, true},
		{Filter{Match: map[string]string{"data.user_id": "usr_2"}}, false},
		{Filter{Match: map[string]string{"data.missing": ""}}, false},
		{Filter{Match: map[string]string{"error_class": "internal", "attr.type": "risk.charge.failed"}}, true},
		{Filter{Types: []string{"risk.charge.failed"}, Match: map[string]string{"error_class": "schema"}}, false},
	} {
		require.Equal(t, c.want, c.f.Matches(m, now), "%+v", c.f)
	}
}

func TestParseRateAndMatch(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"": 0, "10": 10, "10/s": 10, "120/m": 2, "0.5/s": 0.5} {
		got, err := ParseRate(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"fast", "0/s", "-1", "10/h"} {
		_, err := ParseRate(bad)
		require.Error(t, err, bad)
	}
	m, err := ParseMatch([]string{"data.user_id=usr_1", "source=a=b"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"data.user_id": "usr_1", "source": "a=b"}, m)
	_, err = ParseMatch([]string{"novalue"})
	require.Error(t, err)
}

// A replayed message keeps its attributes and gains the replay's, within SQS's limit of
// ten: the reason goes first when there is no room (the audit keeps it).
func TestReplayAttributesStayWithinTheSQSLimit(t *testing.T) {
	t.Parallel()
	orig := map[string]sqstypes.MessageAttributeValue{"type": str("t"), "error_class": str("internal"), "error_text": str("x"),
		"source_queue": str("q"), "source_message_id": str("m"), "first_failure_at": str("2026-11-30T00:00:00Z"), "receive_count": str("3")}
	a := replayAttributes(orig, "alice", "rpl_1", "fixed")
	require.Len(t, a, 10)
	require.Equal(t, "alice", aws.ToString(a[AttrReplayedBy].StringValue))
	require.Equal(t, "rpl_1", aws.ToString(a[AttrReplayID].StringValue))
	require.Equal(t, "fixed", aws.ToString(a[AttrReplayReason].StringValue))
	orig["upstream_trace"] = str("abc")
	a = replayAttributes(orig, "alice", "rpl_1", "fixed")
	require.Len(t, a, 10)
	require.NotContains(t, a, AttrReplayReason)
	require.Contains(t, a, "upstream_trace")
	require.Len(t, orig, 8, "the original is not changed")
}
