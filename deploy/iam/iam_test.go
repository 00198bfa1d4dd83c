// Package iam_test keeps the IAM policies in deploy/iam honest: each grants exactly the
// AWS actions its binary's code can call (reach_test.go derives them from the code), and
// the README shows each file as it is.
package iam_test

import (
	"encoding/json"
	"fmt"
	"go/types"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// iamActions maps each SDK operation the code calls to the IAM actions it needs. An
// operation missing here fails the test: look it up and add it, with its source.
//
// Sources, AWS's own reference (checked 2026-12):
//   - S3: "Required permissions for Amazon S3 API operations"
//     (docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html),
//     and each operation's "Permissions" paragraph in the S3 API Reference:
//     HeadBucket and ListObjectsV2 need s3:ListBucket; HeadObject needs s3:GetObject;
//     the bucket-level Object Lock, encryption and public-access-block operations are
//     named after the bucket (s3:PutBucketObjectLockConfiguration,
//     s3:PutEncryptionConfiguration, s3:PutBucketPublicAccessBlock, ...).
//   - SQS: "Actions, resources, and condition keys for Amazon SQS" (Service
//     Authorization Reference): a batch operation is authorized as its single form
//     (SendMessageBatch is sqs:SendMessage, DeleteMessageBatch sqs:DeleteMessage,
//     ChangeMessageVisibilityBatch sqs:ChangeMessageVisibility).
//   - SNS and DynamoDB: the action has the operation's name (Service Authorization
//     Reference for Amazon SNS and for Amazon DynamoDB); TransactWriteItems and
//     BatchWriteItem would need their items' actions (PutItem, UpdateItem, DeleteItem,
//     ConditionCheckItem), none is used.
var iamActions = map[string][]string{
	"s3:CreateBucket":                  {"s3:CreateBucket"},
	"s3:HeadBucket":                    {"s3:ListBucket"},
	"s3:ListObjectsV2":                 {"s3:ListBucket"},
	"s3:GetObject":                     {"s3:GetObject"},
	"s3:HeadObject":                    {"s3:GetObject"},
	"s3:PutObject":                     {"s3:PutObject"},
	"s3:PutObjectLegalHold":            {"s3:PutObjectLegalHold"},
	"s3:GetObjectLegalHold":            {"s3:GetObjectLegalHold"},
	"s3:PutObjectRetention":            {"s3:PutObjectRetention"},
	"s3:GetObjectRetention":            {"s3:GetObjectRetention"},
	"s3:GetObjectLockConfiguration":    {"s3:GetBucketObjectLockConfiguration"},
	"s3:PutObjectLockConfiguration":    {"s3:PutBucketObjectLockConfiguration"},
	"s3:GetBucketEncryption":           {"s3:GetEncryptionConfiguration"},
	"s3:PutBucketEncryption":           {"s3:PutEncryptionConfiguration"},
	"s3:GetPublicAccessBlock":          {"s3:GetBucketPublicAccessBlock"},
	"s3:PutPublicAccessBlock":          {"s3:PutBucketPublicAccessBlock"},
	"s3:GetBucketPolicy":               {"s3:GetBucketPolicy"},
	"s3:PutBucketPolicy":               {"s3:PutBucketPolicy"},
	"s3:DeleteBucketPolicy":            {"s3:DeleteBucketPolicy"},
	"s3:GetBucketVersioning":           {"s3:GetBucketVersioning"},
	"s3:PutBucketVersioning":           {"s3:PutBucketVersioning"},
	"s3:ListBuckets":                   {"s3:ListAllMyBuckets"},
	"sqs:CreateQueue":                  {"sqs:CreateQueue"},
	"sqs:GetQueueUrl":                  {"sqs:GetQueueUrl"},
	"sqs:GetQueueAttributes":           {"sqs:GetQueueAttributes"},
	"sqs:SetQueueAttributes":           {"sqs:SetQueueAttributes"},
	"sqs:ListQueues":                   {"sqs:ListQueues"},
	"sqs:SendMessage":                  {"sqs:SendMessage"},
	"sqs:SendMessageBatch":             {"sqs:SendMessage"},
	"sqs:ReceiveMessage":               {"sqs:ReceiveMessage"},
	"sqs:DeleteMessage":                {"sqs:DeleteMessage"},
	"sqs:DeleteMessageBatch":           {"sqs:DeleteMessage"},
	"sqs:ChangeMessageVisibility":      {"sqs:ChangeMessageVisibility"},
	"sqs:ChangeMessageVisibilityBatch": {"sqs:ChangeMessageVisibility"},
	"sqs:PurgeQueue":                   {"sqs:PurgeQueue"},
	"sns:CreateTopic":                  {"sns:CreateTopic"},
	"sns:ListTopics":                   {"sns:ListTopics"},
	"sns:GetTopicAttributes":           {"sns:GetTopicAttributes"},
	"sns:SetTopicAttributes":           {"sns:SetTopicAttributes"},
	"sns:Publish":                      {"sns:Publish"},
	"sns:Subscribe":                    {"sns:Subscribe"},
	"sns:ListSubscriptions":            {"sns:ListSubscriptions"},
	"sns:ListSubscriptionsByTopic":     {"sns:ListSubscriptionsByTopic"},
	"sns:GetSubscriptionAttributes":    {"sns:GetSubscriptionAttributes"},
	"sns:SetSubscriptionAttributes":    {"sns:SetSubscriptionAttributes"},
	"dynamodb:CreateTable":             {"dynamodb:CreateTable"},
	"dynamodb:DescribeTable":           {"dynamodb:DescribeTable"},
	"dynamodb:UpdateTable":             {"dynamodb:UpdateTable"},
	"dynamodb:GetItem":                 {"dynamodb:GetItem"},
	"dynamodb:PutItem":                 {"dynamodb:PutItem"},
	"dynamodb:DeleteItem":              {"dynamodb:DeleteItem"},
	"dynamodb:UpdateItem":              {"dynamodb:UpdateItem"},
	"dynamodb:Scan":                    {"dynamodb:Scan"},
	"dynamodb:Query":                   {"dynamodb:Query"},
}

// fieldActions are the actions an SDK field or constant adds when reachable code names
// it (the operation alone does not need them). Sources: the S3 page above (CreateBucket
// with Object Lock; PutObject with retention or legal hold headers), and the S3 API
// Reference of HeadObject and GetObject ("This header is only returned if the requester
// has the s3:GetObjectRetention permission", likewise s3:GetObjectLegalHold); reading a
// version by id is s3:GetObjectVersion.
var fieldActions = map[string][]string{
	"s3.CreateBucketInput.ObjectLockEnabledForBucket": {"s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"},
	"s3.PutObjectInput.ObjectLockMode":                {"s3:PutObjectRetention"},
	"s3.PutObjectInput.ObjectLockRetainUntilDate":     {"s3:PutObjectRetention"},
	"s3.PutObjectInput.ObjectLockLegalHoldStatus":     {"s3:PutObjectLegalHold"},
	"s3.HeadObjectOutput.ObjectLockMode":              {"s3:GetObjectRetention"},
	"s3.HeadObjectOutput.ObjectLockRetainUntilDate":   {"s3:GetObjectRetention"},
	"s3.HeadObjectOutput.ObjectLockLegalHoldStatus":   {"s3:GetObjectLegalHold"},
	"s3.GetObjectOutput.ObjectLockMode":               {"s3:GetObjectRetention"},
	"s3.GetObjectOutput.ObjectLockRetainUntilDate":    {"s3:GetObjectRetention"},
	"s3.GetObjectOutput.ObjectLockLegalHoldStatus":    {"s3:GetObjectLegalHold"},
	"s3.HeadObjectInput.VersionId":                    {"s3:GetObjectVersion"},
	"s3.GetObjectInput.VersionId":                     {"s3:GetObjectVersion"},
}

// kmsActions are the KMS actions an operation needs on an SSE-KMS resource: S3 "To
// upload an object encrypted with an AWS KMS key, you need kms:GenerateDataKey; to
// download one, kms:Decrypt" (Using server-side encryption with AWS KMS keys, S3 User
// Guide; HeadObject reads metadata only); SQS "producers need kms:GenerateDataKey and
// kms:Decrypt, consumers kms:Decrypt" (Amazon SQS Key management, SQS Developer Guide).
// They apply when the code can encrypt that resource with a KMS key of ours: the
// documents when anything reachable uses DOCS_KMS_KEY_ID, the queues QUEUE_KMS_KEY_ID.
var kmsActions = map[string]struct {
	when    string // the config field that turns SSE-KMS on
	actions []string
}{
	"s3:PutObject":         {"config.Config.DocsKMSKeyID", []string{"kms:GenerateDataKey"}},
	"s3:GetObject":         {"config.Config.DocsKMSKeyID", []string{"kms:Decrypt"}},
	"sqs:SendMessage":      {"config.Config.QueueKMSKeyID", []string{"kms:GenerateDataKey", "kms:Decrypt"}},
	"sqs:SendMessageBatch": {"config.Config.QueueKMSKeyID", []string{"kms:GenerateDataKey", "kms:Decrypt"}},
	"sqs:ReceiveMessage":   {"config.Config.QueueKMSKeyID", []string{"kms:Decrypt"}},
}

// accountWide are the actions that name no resource (Service Authorization Reference:
// no resource type; SNS's subscription actions are among them), the only ones a policy
// may grant on "*".
var accountWide = []string{"sns:ListTopics", "sns:ListSubscriptions", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
	"sqs:ListQueues", "s3:ListAllMyBuckets", "dynamodb:ListTables"}

// entry is a policy file and the code it covers.
type entry struct {
	file, mainPkg string
	root          string   // the root function: main, or a command
	block         []string // functions of mainPkg the policy leaves to another file
	why           string
}

var entries = []entry{
	{"worker.json", "trustdocs/cmd/worker", "main", nil, "the worker's role"},
	{"receiver.json", "trustdocs/cmd/receiver", "main", nil, "the receiver's role"},
	{"pipelinectl.json", "trustdocs/cmd/pipelinectl", "main", []string{"bootstrapCmd"}, "on-call: every pipelinectl command but bootstrap"},
	{"pipelinectl-bootstrap.json", "trustdocs/cmd/pipelinectl", "bootstrapCmd", nil, "the deployer who runs pipelinectl bootstrap (creates and converges the resources)"},
}

var (
	loadOnce sync.Once
	prog     *program
	derived  map[string]Analysis // by policy file
)

// derive runs the analysis once for every entry (the load takes seconds).
func derive(t *testing.T) map[string]Analysis {
	t.Helper()
	loadOnce.Do(func() {
		prog = load(t, "../..")
		derived = map[string]Analysis{}
		for _, e := range entries {
			root := prog.funcByName(t, e.mainPkg, e.root)
			var blocked []*types.Func
			for _, b := range e.block {
				blocked = append(blocked, prog.funcByName(t, e.mainPkg, b))
			}
			derived[e.file] = prog.Reach(e.mainPkg, []*types.Func{root}, true, blocked...)
		}
	})
	if derived == nil {
		t.Fatal("the analysis failed in another test")
	}
	return derived
}

// required turns an analysis into IAM actions, each with why it is needed.
func required(t *testing.T, all map[string]Analysis, a Analysis) map[string][]string {
	t.Helper()
	kmsOn := map[string]bool{}
	for _, other := range all {
		for f := range other.Features {
			kmsOn[f] = true
		}
	}
	need := map[string][]string{}
	var unknown []string
	for op, where := range a.Ops {
		actions, ok := iamActions[op]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%s (called from %s)", op, strings.Join(where, ", ")))
			continue
		}
		for _, act := range actions {
			need[act] = append(need[act], op+" in "+where[0])
		}
		if k, ok := kmsActions[op]; ok && kmsOn[k.when] {
			for _, act := range k.actions {
				need[act] = append(need[act], op+" on a resource encrypted with "+strings.TrimPrefix(k.when, "config.Config."))
			}
		}
	}
	for f, where := range a.Features {
		for _, act := range fieldActions[f] {
			need[act] = append(need[act], f+" in "+where[0])
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		t.Fatalf("SDK operations without an IAM mapping; add each to iamActions with its source:\n  %s", strings.Join(unknown, "\n  "))
	}
	return need
}

// policy is the part of an IAM policy document the test reads.
type policy struct {
	Version   string
	Statement []struct {
		Sid      string
		Effect   string
		Action   []string
		Resource []string
	}
}

func readPolicy(t *testing.T, file string) (policy, string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var p policy
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s is not a policy document (Action and Resource as lists): %v", file, err)
	}
	return p, string(raw)
}

// Each policy grants exactly the actions its code can call: none missing (the binary
// would be refused), none extra (least privilege), every statement an Allow on this
// service's resources, "*" only for the actions that name no resource.
func TestPoliciesGrantExactlyWhatTheCodeCalls(t *testing.T) {
	t.Parallel()
	all := derive(t)
	for _, e := range entries {
		t.Run(e.file, func(t *testing.T) {
			need := required(t, all, all[e.file])
			p, _ := readPolicy(t, e.file)
			if p.Version != "2012-10-17" {
				t.Errorf("%s: Version %q, want 2012-10-17", e.file, p.Version)
			}
			granted := map[string]bool{}
			for _, s := range p.Statement {
				if s.Effect != "Allow" {
					t.Errorf("%s %s: Effect %q: the policies only allow", e.file, s.Sid, s.Effect)
				}
				for _, a := range s.Action {
					granted[a] = true
					svc, _, _ := strings.Cut(a, ":")
					for _, r := range s.Resource {
						if r == "*" && !slices.Contains(accountWide, a) {
							t.Errorf("%s %s: %s on \"*\": name its resources", e.file, s.Sid, a)
						}
						if r != "*" && !strings.HasPrefix(r, "arn:aws:"+svc+":") {
							t.Errorf("%s %s: %s on %s, not a %s resource", e.file, s.Sid, a, r, svc)
						}
					}
				}
			}
			var missing, extra []string
			for a, why := range need {
				if !granted[a] {
					missing = append(missing, fmt.Sprintf("%s (for %s)", a, strings.Join(dedupe(sorted(why)), "; ")))
				}
			}
			for a := range granted {
				if _, ok := need[a]; !ok {
					extra = append(extra, a)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing) > 0 {
				t.Errorf("%s (%s) misses actions the code calls; add them:\n  %s", e.file, e.why, strings.Join(missing, "\n  "))
			}
			if len(extra) > 0 {
				t.Errorf("%s (%s) grants actions no reachable code calls; remove them (or, if the analysis missed a call, say how in reach_test.go):\n  %s",
					e.file, e.why, strings.Join(extra, "\n  "))
			}
			if t.Failed() {
				t.Logf("operations derived for %s:\n%s", e.file, all[e.file])
			}
		})
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// The README shows each policy file, unchanged, right after a line naming it.
func TestREADMEShowsEachPolicyFile(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		_, raw := readPolicy(t, e.file)
		re := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta("deploy/iam/"+e.file) + " -->\n```json\n(.*?)```")
		m := re.FindSubmatch(readme)
		if m == nil {
			t.Errorf("README lacks `<!-- deploy/iam/%s -->` followed by a ```json block", e.file)
			continue
		}
		if strings.TrimSpace(string(m[1])) != strings.TrimSpace(raw) {
			t.Errorf("README's copy of deploy/iam/%s differs from the file: paste the file again", e.file)
		}
	}
}

// The analysis finds what it must: calls through a module interface (workers.Publisher
// is sns Publish), paginators, methods that only a library calls (River's Work), and it
// keeps a binary's policy to what that binary reaches (the receiver touches no bucket).
func TestAnalysisSeesInterfacesPaginatorsAndLibraryCallbacks(t *testing.T) {
	t.Parallel()
	all := derive(t)
	has := func(file, op, from string) {
		t.Helper()
		where, ok := all[file].Ops[op]
		if !ok || !slices.ContainsFunc(where, func(w string) bool { return strings.Contains(w, from) }) {
			t.Errorf("%s: want %s from %s, got %v", file, op, from, where)
		}
	}
	has("worker.json", "sns:Publish", "workers.PublishEventWorker.Work") // River calls Work; Publish through workers.Publisher
	has("worker.json", "sns:ListTopics", "infra.TopicARN")               // a paginator
	has("pipelinectl-bootstrap.json", "sqs:CreateQueue", "bootstrap.")
	for op := range all["receiver.json"].Ops {
		if !strings.HasPrefix(op, "sqs:") {
			t.Errorf("receiver reaches %s: the analysis lost its precision", op)
		}
	}
	if _, ok := all["pipelinectl.json"].Ops["sqs:CreateQueue"]; ok {
		t.Error("pipelinectl.json reaches CreateQueue: bootstrap is not left to its own policy")
	}
}
