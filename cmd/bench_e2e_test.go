package cmd_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/content"
	"trustdocs/docpack"
	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/infra"
	"trustdocs/store"
	"trustdocs/testkit"
)

var (
	benchN         = flag.Int("bench.checkouts", 300, "checkouts per e2e round (two thirds make two documents, one third one)")
	benchLatencyN  = flag.Int("bench.latency", 200, "checkouts published one by one at half the measured throughput, for checkout → issued latency")
	benchProfile   = flag.String("bench.profile", "", "write a CPU profile of the worker during the first e2e round to this file")
	benchWorkerEnv = flag.String("bench.worker-env", "", "extra worker settings, comma-separated NAME=VALUE (to weigh a lever against the defaults)")
	benchFloorGo   = flag.Int("bench.floor-goroutines", 20, "goroutines of the floor (RIVER_WORKERS' default)")
)

// BenchmarkE2EVsFloor measures the whole pipeline from outside, as the booking system
// uses it: N distinct checkouts published to the booking topic through SNS, one real
// worker binary with its default settings, and the time until every document of the
// round is in an issued pack and until every envelope is sent. Beside it, in the same
// run and alternated round by round so machine drift hits both, the floor: what the
// same documents physically cost, render + SHA-256 + the seed layout's three
// write-once objects (PDF, hash file, envelope JSON) with the worker's headers, on as
// many goroutines as the worker has River workers. The ratio e2e/floor is the figure.
//
// After the throughput rounds, checkouts are published one at a time at half the
// median e2e throughput, and each one's time from publish to its pack being issued
// (seen in PostgreSQL, polled every 5 ms) gives p50/p99 latency.
//
// The bucket is GOVERNANCE-mode and emptied (bypassing governance) at the end: a
// COMPLIANCE-locked benchmark object could never be deleted.
//
//	go test -run '^$' -bench E2EVsFloor -benchtime 3x ./cmd/
func BenchmarkE2EVsFloor(b *testing.B) {
	ctx := context.Background()
	st := provision(b, func(c *config.Config) { c.RetentionMode = "GOVERNANCE" })
	b.Cleanup(func() { emptyGovernanceBucket(b, st.clients.S3, st.cfg.DocsBucket) })
	env := testkit.Env(st.cfg, "WORKER_ADDR=127.0.0.1:0", "DOCS_RETENTION_MODE=GOVERNANCE", "LOG_LEVEL=warn")
	if r := runBin(b, env, "pipelinectl", "content", "publish"); r.code != 0 {
		b.Fatal(r.stderr)
	}
	topic, err := infra.TopicARN(ctx, st.cfg, st.clients.SNS, st.cfg.BookingTopic)
	require.NoError(b, err)
	templates, err := store.LiveTemplates(ctx, st.pool)
	require.NoError(b, err)
	workerAddr := freeAddr(b)
	env = append(env, "WORKER_ADDR="+workerAddr, "PPROF=1")
	if *benchWorkerEnv != "" {
		for _, kv := range strings.Split(*benchWorkerEnv, ",") {
			if n, ok := strings.CutPrefix(kv, "pool_max_conns="); ok { // a DATABASE_URL parameter
				sep := "?"
				if strings.Contains(st.cfg.DatabaseURL, "?") {
					sep = "&"
				}
				kv = "DATABASE_URL=" + st.cfg.DatabaseURL + sep + "pool_max_conns=" + n
			}
			env = append(env, kv)
		}
	}
	svc := startService(b, env, "worker")
	worker, logs := svc.cmd, svc.logs
	b.Cleanup(func() {
		svc.stop()
		if b.Failed() {
			b.Log(logs.String())
		}
	})
	waitFor(b, "http://"+workerAddr+"/readyz", logs)
	dbName := st.cfg.DatabaseURL[strings.LastIndexByte(st.cfg.DatabaseURL, '/')+1:]
	if i := strings.IndexByte(dbName, '?'); i >= 0 {
		dbName = dbName[:i]
	}
	sample := func() map[string]int64 { return sampleCPU(worker.Process.Pid, dbName) }
	floorDocs := docstore.Store{S3: st.clients.S3, Bucket: st.cfg.DocsBucket, Env: "floor"}

	var e2eIssued, e2eSent, floorRate []float64
	var cpu cpuUse
	b.ResetTimer()
	for round := range b.N {
		checkouts := benchCheckouts(b, round, *benchN)
		docs := plannedDocs(b, checkouts, templates)
		runE2E := func() {
			before := sample()
			var profile chan []byte
			if round == 0 && *benchProfile != "" {
				profile = cpuProfile(b, workerAddr)
			}
			issued, sent := e2eRound(b, st, topic, checkouts, len(docs))
			cpu.add(before, sample(), len(docs))
			if profile != nil {
				require.NoError(b, os.WriteFile(*benchProfile, <-profile, 0o600))
				b.Logf("worker CPU profile of round 0: go tool pprof -top %s", *benchProfile)
			}
			e2eIssued = append(e2eIssued, float64(len(docs))/issued.Seconds())
			e2eSent = append(e2eSent, float64(len(docs))/sent.Seconds())
		}
		runFloor := func() {
			floorRate = append(floorRate, float64(len(docs))/floorRound(b, floorDocs, round, docs, *benchFloorGo).Seconds())
		}
		if round%2 == 0 {
			runE2E()
			runFloor()
		} else {
			runFloor()
			runE2E()
		}
		b.Logf("round %d: %d checkouts, %d documents: e2e %.0f docs/s to issued, %.0f to sent; floor %.0f docs/s; ratio %.2f",
			round, len(checkouts), len(docs), e2eIssued[round], e2eSent[round], floorRate[round], e2eIssued[round]/floorRate[round])
	}
	b.StopTimer()

	issued, sent, floor := median(e2eIssued), median(e2eSent), median(floorRate)
	docsPerCheckout := 5.0 / 3
	rate := issued / docsPerCheckout / 2 // checkouts/s at half the load
	lat := latencyRound(b, st, topic, rate, *benchLatencyN)
	b.ReportMetric(issued, "issued_docs/s")
	b.ReportMetric(sent, "sent_docs/s")
	b.ReportMetric(floor, "floor_docs/s")
	b.ReportMetric(issued/floor, "ratio")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99_ms")
	b.ReportMetric(0, "ns/op")
	for _, svc := range []string{"worker", "postgres", "minio"} {
		b.ReportMetric(cpu.perDoc(svc), svc+"_cpu_ms/doc")
	}
	b.Logf("medians of %d rounds: e2e %.0f docs/s to issued, %.0f to sent; floor %.0f docs/s; ratio e2e/floor %.2f", b.N, issued, sent, floor, issued/floor)
	b.Logf("latency at %.1f checkouts/s (half the load), %d checkouts: p50 %v, p99 %v, max %v", rate, len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	b.Logf("CPU per document during the e2e rounds (ms): %s", cpu)
}

// benchCheckouts makes n distinct checkouts for a round: two thirds with a studio (two
// documents each), one third without (one).
func benchCheckouts(tb testing.TB, round, n int) []events.Envelope {
	out := make([]events.Envelope, 0, n)
	for i := range n {
		out = append(out, testkit.Example(tb, "booking.checkout.completed", func(e *events.Envelope) {
			var d map[string]any
			require.NoError(tb, json.Unmarshal(e.Data, &d))
			id := fmt.Sprintf("b%d_%04d_%s", round, i, testkit.Suffix())
			e.ID = "evt_chk_" + id
			d["leg_id"], d["booking_id"] = "leg_"+id, "bkg_"+id
			if i%3 == 2 {
				d["roles"] = []string{"model"}
			}
			e.Data = mustJSON(tb, d)
		}))
	}
	return out
}

// plannedDocs plans each checkout's pack as the worker will, for the floor.
func plannedDocs(tb testing.TB, checkouts []events.Envelope, templates []content.LiveTemplate) []docpack.Stored {
	var out []docpack.Stored
	for _, e := range checkouts {
		c, err := events.DataAs[events.Checkout](e)
		require.NoError(tb, err)
		plan, err := docpack.Build(c, templates)
		require.NoError(tb, err)
		for _, d := range plan.Docs {
			out = append(out, docpack.Stored{DocID: e.ID + "_" + d.TemplateName, TemplateName: d.TemplateName, Layout: d.Layout,
				Clauses: d.Clauses, Variables: d.Variables, Signers: d.Signers})
		}
	}
	return out
}

// publishCheckouts publishes to the booking topic as the booking system does, ten per
// PublishBatch call.
func publishCheckouts(tb testing.TB, st *stack, topic string, checkouts []events.Envelope) {
	for batch := range slices.Chunk(checkouts, 10) {
		in := &sns.PublishBatchInput{TopicArn: aws.String(topic)}
		for i, e := range batch {
			body, err := json.Marshal(e)
			require.NoError(tb, err)
			in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, snstypes.PublishBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), Message: aws.String(string(body)),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{
					events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(e.Type)}},
			})
		}
		out, err := st.clients.SNS.PublishBatch(context.Background(), in)
		require.NoError(tb, err)
		require.Empty(tb, out.Failed, "publish batch")
	}
}

// e2eRound publishes the round's checkouts and returns the time until all their packs
// are issued, and until all their documents' envelopes are sent. It polls two counts
// over this round's rows (earlier rounds are finished), cheap enough every 20 ms not to
// weigh on the PostgreSQL it measures.
func e2eRound(tb testing.TB, st *stack, topic string, checkouts []events.Envelope, docs int) (issued, sent time.Duration) {
	var since time.Time
	require.NoError(tb, st.pool.QueryRow(context.Background(), `select now()`).Scan(&since))
	start := time.Now()
	publishCheckouts(tb, st, topic, checkouts)
	deadline := start.Add(5 * time.Minute)
	for issued == 0 || sent == 0 {
		var nIssued, nSent int
		require.NoError(tb, st.pool.QueryRow(context.Background(), `
			select (select count(*) from doc_pack where created_at >= $1 and status in ('issued', 'signed')),
			       (select count(*) from doc_instance where created_at >= $1 and envelope_status is not null and envelope_status <> 'none')`,
			since).Scan(&nIssued, &nSent))
		now := time.Since(start)
		if issued == 0 && nIssued == len(checkouts) {
			issued = now
		}
		if sent == 0 && nSent == docs {
			sent = now
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %v: %d of %d packs issued, %d of %d documents sent", now, nIssued, len(checkouts), nSent, docs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return issued, sent
}

// floorRound stores the round's documents as the physical floor: render, SHA-256, and
// the PDF, hash file and envelope JSON written once each, on n goroutines.
func floorRound(tb testing.TB, docs docstore.Store, round int, planned []docpack.Stored, n int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(planned) {
					return
				}
				if err := floorDoc(docs, round, planned[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return took
}

func floorDoc(docs docstore.Store, round int, d docpack.Stored) error {
	ctx := context.Background()
	pdf, err := docpack.Render(d)
	if err != nil {
		return err
	}
	keys := docs.Keys(fmt.Sprintf("r%d", round), d.DocID, 1)
	sum, err := docs.PutOnce(ctx, keys.PDF, "application/pdf", pdf)
	if err != nil {
		return err
	}
	if _, err := docs.PutOnce(ctx, keys.Hash, "text/plain", docstore.HashFile(sum, keys.PDF)); err != nil {
		return err
	}
	check := sha256.Sum256(pdf)
	meta, _ := json.MarshalIndent(map[string]any{"provider": "sandbox", "envelope_id": "env_" + hex.EncodeToString(check[:8]),
		"doc_id": d.DocID, "pdf_key": keys.PDF, "pdf_sha256": sum, "title": d.TemplateName, "recipients": d.Signers}, "", "  ")
	_, err = docs.PutOnce(ctx, keys.Envelope, "application/json", meta)
	return err
}

// latencyRound publishes n checkouts one at a time at rate per second and returns each
// one's time from publish to its pack being issued, sorted.
func latencyRound(tb testing.TB, st *stack, topic string, rate float64, n int) []time.Duration {
	checkouts := benchCheckouts(tb, 1000, n)
	published := map[string]time.Time{}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		interval := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for _, e := range checkouts {
			time.Sleep(time.Until(next))
			mu.Lock()
			published[e.ID] = time.Now()
			mu.Unlock()
			publishCheckouts(tb, st, topic, []events.Envelope{e})
			next = next.Add(interval)
		}
	}()
	var lat []time.Duration
	seen := map[string]bool{}
	deadline := time.Now().Add(time.Duration(float64(n)/rate*float64(time.Second)) + 2*time.Minute)
	for len(seen) < n {
		mu.Lock()
		var pending []string
		for id := range published {
			if !seen[id] {
				pending = append(pending, id)
			}
		}
		mu.Unlock()
		rows, err := st.pool.Query(context.Background(), `select source_event_id from doc_pack where source_event_id = any($1) and status in ('issued', 'signed')`, pending)
		require.NoError(tb, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(tb, err)
		now := time.Now()
		mu.Lock()
		for _, id := range ids {
			seen[id] = true
			lat = append(lat, now.Sub(published[id]))
		}
		mu.Unlock()
		if now.After(deadline) {
			tb.Fatalf("%d of %d packs issued", len(seen), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	<-done
	slices.Sort(lat)
	return lat
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// emptyGovernanceBucket deletes every object version, bypassing governance retention,
// and the bucket, so a benchmark leaves nothing behind.
func emptyGovernanceBucket(tb testing.TB, client *s3.Client, bucket string) {
	ctx := context.Background()
	p := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	deleted := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Errorf("list %s: %v", bucket, err)
			return
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		for chunk := range slices.Chunk(ids, 1000) {
			out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), BypassGovernanceRetention: aws.Bool(true),
				Delete: &s3types.Delete{Objects: chunk, Quiet: aws.Bool(true)}})
			if err != nil {
				tb.Errorf("delete from %s: %v", bucket, err)
				return
			}
			if len(out.Errors) > 0 {
				tb.Errorf("delete from %s: %d errors, first %s: %s", bucket, len(out.Errors), aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
				return
			}
			deleted += len(chunk)
		}
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		tb.Errorf("delete bucket %s: %v", bucket, err)
	}
	tb.Logf("bucket %s emptied (%d versions) and deleted", bucket, deleted)
}

// cpuUse adds up the CPU time the stack's processes spent during e2e rounds.
type cpuUse struct {
	ticks map[string]int64
	docs  int
}

func (c *cpuUse) add(before, after map[string]int64, docs int) {
	if c.ticks == nil {
		c.ticks = map[string]int64{}
	}
	for k, v := range after {
		c.ticks[k] += v - before[k]
	}
	c.docs += docs
}

func (c cpuUse) perDoc(service string) float64 {
	return float64(c.ticks[service]) * 10 / float64(max(c.docs, 1)) // USER_HZ is 100 on Linux
}

func (c cpuUse) String() string {
	var parts []string
	var total float64
	for _, k := range []string{"worker", "postgres", "minio", "fauxqs", "dynamodb"} {
		ms := c.perDoc(k)
		total += ms
		parts = append(parts, fmt.Sprintf("%s %.2f", k, ms))
	}
	return fmt.Sprintf("total %.2f: %s", total, strings.Join(parts, ", "))
}

// cpuProfile asks the worker (PPROF=1) for a CPU profile of the next few seconds.
func cpuProfile(tb testing.TB, addr string) chan []byte {
	out := make(chan []byte, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=4")
		if err != nil {
			tb.Errorf("profile: %v", err)
			out <- nil
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		out <- body
	}()
	return out
}

// sampleCPU reads utime+stime from /proc, by service: the worker process, the
// PostgreSQL backends of the benchmark's database and the server's own processes (not
// other databases' backends: tests may share the server), MinIO, fauxqs and DynamoDB
// Local (shared with whatever else runs).
func sampleCPU(workerPID int, dbName string) map[string]int64 {
	out := map[string]int64{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < 0 {
			continue
		}
		comm := s[open+1 : closing]
		var service string
		switch comm {
		case "worker":
			if d != fmt.Sprintf("/proc/%d", workerPID) {
				continue
			}
			service = "worker"
		case "postgres":
			cmdline, _ := os.ReadFile(d + "/cmdline")
			if strings.Contains(string(cmdline), "td_test_") && !strings.Contains(string(cmdline), dbName) {
				continue // another test's backend
			}
			service = "postgres"
		case "minio":
			service = "minio"
		case "node":
			service = "fauxqs"
		case "java":
			service = "dynamodb"
		default:
			continue
		}
		f := strings.Fields(s[closing+2:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		out[service] += ut + stt
	}
	return out
}
