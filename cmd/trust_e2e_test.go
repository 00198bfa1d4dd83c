package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/risk"
	"trustdocs/testkit"
	"trustdocs/trust"
	"trustdocs/trustcache"
	"trustdocs/webhook"
)

// The trust path with the real binaries: risk events published to risk-events become a
// scored snapshot and a cache item; a passed Persona inquiry posted to the receiver
// gives the id_verified badge, which the item then shows; `cache reconcile` repairs an
// item deleted or altered by hand.
func TestRiskAndIdentityReachTheTrustCacheThroughTheRealBinaries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	cfg, clients := st.cfg, st.clients
	receiverAddr := freeAddr(t)
	secret := "persona-key-" + testkit.Suffix()
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0", "RECEIVER_ADDR="+receiverAddr, "WEBHOOK_SECRET_PERSONA="+secret,
		"WEBHOOK_SECRET_CHECKR=checkr-key-"+testkit.Suffix())
	logs := map[string]*syncBuffer{"worker": startBin(t, env, "worker"), "receiver": startBin(t, env, "receiver")}
	waitFor(t, "http://"+receiverAddr+"/healthz", &bytes.Buffer{})

	const user = "usr_t_2002"
	now := time.Now().UTC().Truncate(time.Second)
	dir := t.TempDir()
	publish := func(id, typ string, data any) {
		raw, err := json.Marshal(events.Envelope{ID: id, Type: typ, Source: "booking", OccurredAt: now, Data: mustJSON(t, data)})
		require.NoError(t, err)
		file := filepath.Join(dir, id+".json")
		require.NoError(t, os.WriteFile(file, raw, 0o600))
		r := runBin(t, env, "pipelinectl", "publish", file)
		require.Equal(t, 0, r.code, r.stderr)
	}
	for i := range 5 {
		publish(fmt.Sprintf("evt_leg_done_%d", i), events.LegCompleted,
			events.LegCompletion{BookingID: "bkg_7Q2M", LegID: fmt.Sprintf("leg_7Q2M_%d", i), UserIDs: []string{user, "usr_b_1001"}})
	}
	publish("evt_rsk_refund_1", events.RefundRequested, events.RiskSignal{UserID: user, BookingID: "bkg_7Q2M"})

	item := func() (trust.CacheItem, bool) {
		it, found, err := trustcache.Table{DB: clients.DynamoDB, Name: cfg.TrustCacheTable}.Get(ctx, user)
		require.NoError(t, err)
		return it, found
	}
	want := risk.V1.Score(risk.Counters{Volume: 5, RefundsAsked: 1}).Score
	eventually(t, 60*time.Second, func() bool {
		it, found := item()
		return found && it.RiskScore != nil && *it.RiskScore == want
	}, "the risk score in the cache\nworker log:\n%s", logs["worker"])
	require.Equal(t, 1, st.count(t, `select count(*) from trust_risk_signal where user_id = $1 and refunds_asked = 1
		and upper("window") - lower("window") = 30`, user))

	// A passed, adult Persona inquiry, signed as Persona signs it.
	body := fmt.Sprintf(`{"data":{"type":"event","id":"evt_persona_1","attributes":{"name":"inquiry.approved","created-at":%q,
	  "payload":{"data":{"type":"inquiry","id":"inq_e2e","attributes":{"status":"approved","reference-id":%q,"birthdate":"1994-03-17"}},
	  "included":[{"type":"verification/government-id","attributes":{"status":"passed","checks":[{"name":"id_expired_detection","status":"passed","reasons":[]}]}}]}}}}`,
		now.Format(time.RFC3339), user)
	req, err := http.NewRequest(http.MethodPost, "http://"+receiverAddr+"/webhooks/persona", strings.NewReader(body))
	require.NoError(t, err)
	req.Header, err = webhook.Sign("persona", secret, []byte(body), now)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	eventually(t, 60*time.Second, func() bool {
		it, found := item()
		return found && it.IDVPassed && it.AgeVerified && len(it.Badges) == 1 && it.Badges[0] == "id_verified"
	}, "id_verified in the cache\nworker log:\n%s\nreceiver log:\n%s", logs["worker"], logs["receiver"])
	good, _ := item()
	require.Equal(t, int64(st.count(t, `select version from trust_user where user_id = $1`, user)), good.Version)
	require.NotNil(t, good.RiskScore, "the badge did not lose the score")

	// Deleted by hand: reconcile puts it back.
	_, err = clients.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(cfg.TrustCacheTable),
		Key: map[string]ddbtypes.AttributeValue{"user_id": &ddbtypes.AttributeValueMemberS{Value: user}}})
	require.NoError(t, err)
	r := runBin(t, env, "pipelinectl", "cache", "reconcile", "--user", user)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "missing 1")
	fixed, found := item()
	require.True(t, found)
	require.Greater(t, fixed.Version, good.Version)
	require.Equal(t, good.Badges, fixed.Badges)
	require.Equal(t, *good.RiskScore, *fixed.RiskScore)

	// Altered by hand (a badge added, at the same version), and an orphan item: --all
	// repairs the one and deletes the other.
	_, err = clients.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(cfg.TrustCacheTable),
		Key:                       map[string]ddbtypes.AttributeValue{"user_id": &ddbtypes.AttributeValueMemberS{Value: user}},
		UpdateExpression:          aws.String("SET trusted_pro = :t"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":t": &ddbtypes.AttributeValueMemberBOOL{Value: true}}})
	require.NoError(t, err)
	ghostItem, err := attributevalue.MarshalMap(trust.CacheItem{UserID: "usr_ghost", Version: 7, Badges: []string{"trusted_pro"}})
	require.NoError(t, err)
	_, err = clients.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(cfg.TrustCacheTable), Item: ghostItem})
	require.NoError(t, err)
	r = runBin(t, env, "pipelinectl", "cache", "reconcile", "--all", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct{ Checked, OK, Differed, Orphaned int }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Equal(t, 1, rep.Differed, r.stdout)
	require.Equal(t, 1, rep.Orphaned, r.stdout)
	fixed, _ = item()
	require.False(t, fixed.TrustedPro, "the hand-made badge is gone")
	_, ghost, err := trustcache.Table{DB: clients.DynamoDB, Name: cfg.TrustCacheTable}.Get(ctx, "usr_ghost")
	require.NoError(t, err)
	require.False(t, ghost)

	r = runBin(t, env, "pipelinectl", "cache", "reconcile", "--all")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "differed 0", "nothing left to repair")
	require.Contains(t, r.stdout, "repaired 0")

	// A background check is requested; the sandbox providers pass it (signed Persona and
	// Checkr webhooks through the receiver): trusted_pro reaches the cache.
	publish("evt_bgreq_e2e", events.BackgroundCheckAsked, events.BackgroundCheckRequest{UserID: user, Provider: "checkr",
		CandidateID: "cand_e2e", Package: "basic_us"})
	eventually(t, 60*time.Second, func() bool {
		return st.count(t, `select count(*) from bg_candidate where candidate_id = 'cand_e2e'`) == 1
	}, "the background check request\nworker log:\n%s", logs["worker"])
	r = runBin(t, env, "pipelinectl", "sandbox", "verify", user)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "clear for candidate cand_e2e")
	eventually(t, 60*time.Second, func() bool {
		it, found := item()
		return found && it.TrustedPro
	}, "trusted_pro in the cache\nworker log:\n%s\nreceiver log:\n%s", logs["worker"], logs["receiver"])
	require.Equal(t, "clear", st.text(t, `select status from bg_status where provider_ref = 'cand_e2e'`))

	// The user's trace shows the identity and background-check jobs (found by the ids in
	// their metadata: the user, and the user's candidate), and the trace of each webhook
	// event (whk_…) shows the job it became.
	jobKinds := func(id string) map[string]int {
		t.Helper()
		r := runBin(t, env, "pipelinectl", "trace", id, "--json")
		require.Equal(t, 0, r.code, r.stderr)
		var tr struct {
			Entries []struct {
				Kind   string
				Detail map[string]any
			}
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &tr), r.stdout)
		kinds := map[string]int{}
		for _, e := range tr.Entries {
			if e.Kind == "job" {
				kinds[fmt.Sprint(e.Detail["kind"])]++
			}
		}
		return kinds
	}
	userJobs := jobKinds(user)
	require.GreaterOrEqual(t, userJobs["apply_identity"], 2, "both Persona inquiries: %v", userJobs)
	require.Equal(t, 1, userJobs["apply_background_check"], "the Checkr report: %v", userJobs)
	require.Equal(t, 1, userJobs["register_background_check"], "%v", userJobs)
	rows, err := st.pool.Query(ctx, `select event_id from inbox where type = $1 order by received_at`, events.WebhookReceived)
	require.NoError(t, err)
	var webhookEvents []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		webhookEvents = append(webhookEvents, id)
	}
	require.NoError(t, rows.Err())
	seen := map[string]int{}
	for _, id := range webhookEvents {
		require.True(t, strings.HasPrefix(id, "whk_"), id)
		for k, n := range jobKinds(id) {
			seen[k] += n
		}
	}
	require.Equal(t, map[string]int{"apply_identity": userJobs["apply_identity"], "apply_background_check": 1}, seen,
		"each webhook event's trace shows its job: %v", webhookEvents)
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return raw
}
