package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"trustdocs/infra"
)

// Control states. A control the endpoint does not implement (an emulator) is reported
// as not supported, with the endpoint's own words, and bootstrap goes on; any other
// refusal (access denied, an unknown KMS key, a malformed document) fails bootstrap, since
// the resource would otherwise run without the protection it was asked for.
const (
	ControlApplied      = "applied"
	ControlNotSupported = "not supported"
)

// Control is one protection of data at rest or in transit and what bootstrap found.
type Control struct {
	Resource string `json:"resource"` // "bucket docs", "queue checkout"
	Name     string `json:"name"`     // "default encryption", "public access block", ...
	State    string `json:"state"`    // ControlApplied or ControlNotSupported
	Detail   string `json:"detail"`
}

func (c Control) String() string {
	if c.State == ControlNotSupported {
		return fmt.Sprintf("%s: %s: not supported (%s)", c.Resource, c.Name, c.Detail)
	}
	return fmt.Sprintf("%s: %s: %s (%s)", c.Resource, c.Name, c.State, c.Detail)
}

func (b *runner) control(resource, name, state, detail string) {
	b.rep.Controls = append(b.rep.Controls, Control{resource, name, state, detail})
}

// notImplemented reports whether err is an endpoint saying it does not implement the
// request: S3's NotImplemented code or HTTP 501 (MinIO answers both for the public
// access block, and for encryption when it has no KMS).
func notImplemented(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NotImplemented" {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotImplemented
}

// bucketControls encrypts the docs bucket by default, blocks public access to it and
// denies requests that do not use TLS.
func (b *runner) bucketControls(ctx context.Context) error {
	for _, step := range []func(context.Context) error{b.bucketEncryption, b.publicAccessBlock, b.tlsOnlyPolicy} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// bucketEncryption sets the bucket's default encryption: SSE-KMS with DOCS_KMS_KEY_ID,
// else SSE-S3. Every put names its encryption too (docstore); the default covers any
// object written by other means.
func (b *runner) bucketEncryption(ctx context.Context) error {
	name, where := b.cfg.DocsBucket, infra.Endpoint(b.cfg, "S3")
	resource, control := "bucket "+name, "default encryption"
	want := s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}
	detail := "SSE-S3 (AES256)"
	if b.cfg.DocsKMSKeyID != "" {
		want = s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(b.cfg.DocsKMSKeyID)}
		detail = "SSE-KMS with key " + b.cfg.DocsKMSKeyID
	}
	has, err := b.bucketDefaultEncryption(ctx)
	switch {
	case err != nil && notImplemented(err):
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	case err != nil:
		return fmt.Errorf("S3 bucket %q at %s: read default encryption: %s", name, where, infra.Reason(err))
	case sameEncryption(has, want):
		b.control(resource, control, ControlApplied, detail+", already in place")
		return nil
	}
	_, err = b.aws.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(name),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &want}},
		},
	})
	switch {
	case err != nil && notImplemented(err):
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	case err != nil:
		return fmt.Errorf("S3 bucket %q at %s: set default encryption (%s): %s", name, where, detail, infra.Reason(err))
	}
	// Read it back: an endpoint that accepts the request but keeps nothing must not be
	// reported as encrypting.
	if has, err = b.bucketDefaultEncryption(ctx); err != nil || !sameEncryption(has, want) {
		why := "accepted, but reading it back shows none"
		if err != nil {
			why = "accepted, but reading it back failed: " + infra.Reason(err)
		}
		b.control(resource, control, ControlNotSupported, why)
		return nil
	}
	b.control(resource, control, ControlApplied, detail+", set now")
	return nil
}

// bucketDefaultEncryption is the bucket's default encryption, nil when it has none.
func (b *runner) bucketDefaultEncryption(ctx context.Context) (*s3types.ServerSideEncryptionByDefault, error) {
	out, err := b.aws.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.cfg.DocsBucket)})
	if isCode(err, "ServerSideEncryptionConfigurationNotFoundError") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c := out.ServerSideEncryptionConfiguration; c != nil && len(c.Rules) > 0 {
		return c.Rules[0].ApplyServerSideEncryptionByDefault, nil
	}
	return nil, nil
}

func sameEncryption(has *s3types.ServerSideEncryptionByDefault, want s3types.ServerSideEncryptionByDefault) bool {
	return has != nil && has.SSEAlgorithm == want.SSEAlgorithm && aws.ToString(has.KMSMasterKeyID) == aws.ToString(want.KMSMasterKeyID)
}

// publicAccessBlock turns on all four public access blocks: no ACL or policy can make a
// document public, whatever a later change to the bucket says.
func (b *runner) publicAccessBlock(ctx context.Context) error {
	name, where := b.cfg.DocsBucket, infra.Endpoint(b.cfg, "S3")
	resource, control := "bucket "+name, "public access block"
	want := s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
	}
	const detail = "public ACLs blocked and ignored, public policies blocked and restricted"
	cur, err := b.aws.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(name)})
	switch {
	case err == nil && samePublicAccessBlock(cur.PublicAccessBlockConfiguration, want):
		b.control(resource, control, ControlApplied, detail+", already in place")
		return nil
	case err != nil && notImplemented(err):
		// The endpoint says it has no public access block: no put is tried. (MinIO
		// answers the read NotImplemented, but routes the put to its create-bucket
		// handler, which answers MalformedXML: a put's error would misreport it.)
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	case err != nil && !isCode(err, "NoSuchPublicAccessBlockConfiguration"):
		return fmt.Errorf("S3 bucket %q at %s: read public access block: %s", name, where, infra.Reason(err))
	}
	_, err = b.aws.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(name), PublicAccessBlockConfiguration: &want})
	switch {
	case err != nil && notImplemented(err):
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	case err != nil:
		return fmt.Errorf("S3 bucket %q at %s: set public access block: %s", name, where, infra.Reason(err))
	}
	b.control(resource, control, ControlApplied, detail+", set now")
	return nil
}

func samePublicAccessBlock(c *s3types.PublicAccessBlockConfiguration, want s3types.PublicAccessBlockConfiguration) bool {
	return c != nil && aws.ToBool(c.BlockPublicAcls) == aws.ToBool(want.BlockPublicAcls) &&
		aws.ToBool(c.IgnorePublicAcls) == aws.ToBool(want.IgnorePublicAcls) &&
		aws.ToBool(c.BlockPublicPolicy) == aws.ToBool(want.BlockPublicPolicy) &&
		aws.ToBool(c.RestrictPublicBuckets) == aws.ToBool(want.RestrictPublicBuckets)
}

// TLSOnlySid names the bucket policy statement that denies requests without TLS;
// bootstrap owns that statement and leaves the policy's others as they are.
const TLSOnlySid = "trustdocs-deny-insecure-transport"

// tlsOnlyStatement denies every request to the bucket and its objects that did not
// come over TLS (aws:SecureTransport false), from anyone.
func (b *runner) tlsOnlyStatement() map[string]any {
	arn := "arn:aws:s3:::" + b.cfg.DocsBucket
	return map[string]any{
		"Sid": TLSOnlySid, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
		"Resource":  []string{arn, arn + "/*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}
}

// tlsOnlyPolicy adds the TLS-only statement to the bucket's policy.
//
// The local stack reaches MinIO over plain http on loopback, so the policy is applied
// there too and then checked: bootstrap sends a signed request over the same endpoint
// afterwards. MinIO holds bucket policies against anonymous requests only (signed ones
// are authorized by its IAM), so it keeps answering us and the statement still refuses
// every anonymous plain-http request, even one a public-read statement would allow
// (tested). An endpoint that does refuse our own signed requests after it (one enforcing
// the policy on everyone, reached without TLS) gets its previous policy back, and
// bootstrap fails saying to use https: applying it would otherwise lock the pipeline
// out of its own documents.
func (b *runner) tlsOnlyPolicy(ctx context.Context) error {
	name, where := b.cfg.DocsBucket, infra.Endpoint(b.cfg, "S3")
	resource, control := "bucket "+name, "TLS-only policy"
	const detail = "bucket policy denies every request without TLS (aws:SecureTransport false)"
	prev, err := b.aws.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
	previous := ""
	switch {
	case err == nil:
		previous = aws.ToString(prev.Policy)
	case isCode(err, "NoSuchBucketPolicy"):
	case notImplemented(err):
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	default:
		return fmt.Errorf("S3 bucket %q at %s: read bucket policy: %s", name, where, infra.Reason(err))
	}
	policy, changed, err := withStatement(previous, b.tlsOnlyStatement())
	if err != nil {
		return fmt.Errorf("S3 bucket %q at %s: bucket policy: %w", name, where, err)
	}
	plainHTTP := strings.HasPrefix(aws.ToString(b.aws.S3.Options().BaseEndpoint), "http://")
	if !changed {
		b.control(resource, control, ControlApplied, detail+", already in place"+plainHTTPNote(plainHTTP))
		return nil
	}
	_, err = b.aws.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(policy)})
	switch {
	case err != nil && notImplemented(err):
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	case err != nil:
		return fmt.Errorf("S3 bucket %q at %s: set bucket policy: %s", name, where, infra.Reason(err))
	}
	if plainHTTP {
		if _, err := b.aws.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
			undo := b.restorePolicy(ctx, previous)
			return fmt.Errorf("S3 bucket %q at %s: after the TLS-only bucket policy the endpoint refuses our own plain-http requests (%s); "+
				"the policy was taken back (%s): reach S3 over https", name, where, infra.Reason(err), undo)
		}
	}
	b.control(resource, control, ControlApplied, detail+", set now"+plainHTTPNote(plainHTTP))
	return nil
}

func plainHTTPNote(plainHTTP bool) string {
	if !plainHTTP {
		return ""
	}
	return "; the endpoint is plain http and still answered our signed request after it (MinIO holds bucket policies against anonymous requests only)"
}

// restorePolicy puts the bucket's policy back as it was before bootstrap changed it.
func (b *runner) restorePolicy(ctx context.Context, previous string) string {
	var err error
	if previous == "" {
		_, err = b.aws.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(b.cfg.DocsBucket)})
	} else {
		_, err = b.aws.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.cfg.DocsBucket), Policy: aws.String(previous)})
	}
	if err != nil {
		return "restoring the previous policy failed too: " + infra.Reason(err)
	}
	return "the previous policy is back"
}

// withStatement returns policy with stmt in place of the statement of the same Sid (or
// added), and whether that changed anything. Statements are compared in a canonical
// form, since services echo policies rewritten ("*" as {"AWS":["*"]}, lists for single
// values).
func withStatement(policy string, stmt map[string]any) (string, bool, error) {
	doc := map[string]any{"Version": "2012-10-17"}
	if policy != "" {
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			return "", false, fmt.Errorf("the existing policy is not JSON: %w", err)
		}
	}
	var stmts []any
	switch s := doc["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	}
	var ours any
	raw, _ := json.Marshal(stmt)
	_ = json.Unmarshal(raw, &ours) // stmt as the decoder sees JSON, to compare like with like
	found, changed := false, true
	for i, s := range stmts {
		if m, ok := s.(map[string]any); ok && m["Sid"] == stmt["Sid"] {
			found = true
			changed = canonicalJSON(m) != canonicalJSON(ours)
			stmts[i] = ours
		}
	}
	if !found {
		stmts = append(stmts, ours)
	}
	doc["Statement"] = stmts
	out, err := json.Marshal(doc)
	return string(out), changed, err
}

// canonicalJSON writes a policy statement so that equivalent spellings compare equal:
// a single value and a one-element list alike, lists sorted, Principal "*" as
// {"AWS":["*"]}.
func canonicalJSON(v any) string {
	var canon func(key string, v any) any
	canon = func(key string, v any) any {
		switch t := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range t {
				out[k] = canon(k, e)
			}
			return out
		case []any:
			items := make([]string, 0, len(t))
			for _, e := range t {
				b, _ := json.Marshal(canon("", e))
				items = append(items, string(b))
			}
			slices.Sort(items)
			return items
		case string:
			switch {
			case key == "Principal" && t == "*":
				return map[string]any{"AWS": []string{`"*"`}}
			case key == "Sid" || key == "Effect" || key == "Version" || key == "":
				return t
			}
			b, _ := json.Marshal(t)
			return []string{string(b)}
		}
		return v
	}
	b, _ := json.Marshal(canon("", v))
	return string(b)
}

// queueEncryption turns on server-side encryption on every queue and DLQ: SSE-KMS with
// QUEUE_KMS_KEY_ID, else SSE-SQS. An emulator that does not know the attribute answers
// InvalidAttributeName, which is reported as not supported.
func (b *runner) queueEncryption(ctx context.Context) error {
	where := infra.Endpoint(b.cfg, "SQS")
	for _, q := range b.cfg.Queues() {
		for _, name := range []string{q, b.cfg.DLQ(q)} {
			if err := b.encryptQueue(ctx, name, where); err != nil {
				return err
			}
		}
	}
	return nil
}

// unknownAttribute reports whether SQS refused an attribute by its name: the service
// does not know it (fauxqs answers AWS.SimpleQueueService.InvalidAttributeName for
// SqsManagedSseEnabled), as opposed to refusing its value.
func unknownAttribute(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "InvalidAttributeName" || strings.HasSuffix(ae.ErrorCode(), ".InvalidAttributeName"))
}

func (b *runner) encryptQueue(ctx context.Context, name, where string) error {
	resource, control := "queue "+name, "server-side encryption"
	url := aws.String(b.rep.QueueURLs[name])
	attr, want, detail := "SqsManagedSseEnabled", "true", "SSE-SQS (SQS-managed keys)"
	if b.cfg.QueueKMSKeyID != "" {
		attr, want, detail = "KmsMasterKeyId", b.cfg.QueueKMSKeyID, "SSE-KMS with key "+b.cfg.QueueKMSKeyID
	}
	cur, err := b.aws.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		return fmt.Errorf("SQS queue %q at %s: %s", name, where, infra.Reason(err))
	}
	if cur.Attributes[attr] == want {
		b.control(resource, control, ControlApplied, detail+", already in place")
		return nil
	}
	set := map[string]string{attr: want}
	// SQS keeps one kind of SSE at a time: switching turns the other one off.
	if attr == "KmsMasterKeyId" && cur.Attributes["SqsManagedSseEnabled"] == "true" {
		set["SqsManagedSseEnabled"] = "false"
	}
	if attr == "SqsManagedSseEnabled" && cur.Attributes["KmsMasterKeyId"] != "" {
		set["KmsMasterKeyId"] = ""
	}
	_, err = b.aws.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: url, Attributes: set})
	switch {
	case err != nil && (notImplemented(err) || unknownAttribute(err)):
		b.control(resource, control, ControlNotSupported, infra.Reason(err))
		return nil
	case err != nil:
		return fmt.Errorf("SQS queue %q at %s: set %s: %s", name, where, detail, infra.Reason(err))
	}
	got, err := b.aws.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		return fmt.Errorf("SQS queue %q at %s: %s", name, where, infra.Reason(err))
	}
	if got.Attributes[attr] != want {
		b.control(resource, control, ControlNotSupported, fmt.Sprintf("%s=%s accepted, but the queue reports %q", attr, want, got.Attributes[attr]))
		return nil
	}
	b.control(resource, control, ControlApplied, detail+", set now")
	return nil
}
