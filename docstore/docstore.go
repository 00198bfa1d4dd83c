// Package docstore is the S3 side of documents: the seed's key layout
// ({env}/packs/{pack_id}/doc_{doc_id}_v{n}.pdf, envelope_{doc_id}.json,
// hash_{doc_id}.txt, and our evidence_{doc_id}.json beside them), write-once puts into
// the Object Lock bucket, each naming its server-side encryption, reads, listings, and
// each object's retention, legal hold and encryption. It is the only package that speaks
// S3 to the documents bucket (bootstrap creates it).
package docstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Store is the documents bucket and the key prefix of this environment.
type Store struct {
	S3     *s3.Client
	Bucket string
	Env    string // DOCS_ENV: the first part of every key
	// KMSKeyID (DOCS_KMS_KEY_ID) is the KMS key every put encrypts with (SSE-KMS); ""
	// means SSE-S3 (AES256). Puts name it even though the bucket's default encryption
	// says the same: a bucket whose default was changed or never set still gets
	// encrypted objects, and a put the bucket cannot encrypt fails instead of storing
	// plaintext.
	KMSKeyID string
}

// Keys are the S3 keys of one document: the seed's, and beside them the executed copy
// a provider returns once everyone signed, DocuSign's certificate of completion, and the
// evidence log anchored once the envelope ended (completed, voided or expired).
type Keys struct {
	PDF, Envelope, Hash string
	Signed, Certificate string
	Evidence            string
}

// Object kinds, by the name of the object within its pack's prefix.
const (
	KindPDF         = "pdf"
	KindHash        = "hash"
	KindEnvelope    = "envelope"
	KindSigned      = "signed"
	KindCertificate = "certificate"
	KindEvidence    = "evidence"
)

// KeysFor returns a document's keys; version is the PDF's version (1 for a first issue).
func KeysFor(env, packID, docID string, version int) Keys {
	prefix := PackPrefix(env, packID)
	return Keys{
		PDF:      fmt.Sprintf("%sdoc_%s_v%d.pdf", prefix, docID, version),
		Envelope: fmt.Sprintf("%senvelope_%s.json", prefix, docID),
		Hash:     fmt.Sprintf("%shash_%s.txt", prefix, docID),

		Signed:      fmt.Sprintf("%ssigned_%s.pdf", prefix, docID),
		Certificate: fmt.Sprintf("%scertificate_%s.pdf", prefix, docID),
		Evidence:    fmt.Sprintf("%sevidence_%s.json", prefix, docID),
	}
}

// PackPrefix is the prefix under which a pack's objects are.
func PackPrefix(env, packID string) string { return fmt.Sprintf("%s/packs/%s/", env, packID) }

// Keys returns a document's keys in this store's environment.
func (s Store) Keys(packID, docID string, version int) Keys {
	return KeysFor(s.Env, packID, docID, version)
}

// URI is the s3:// address of a key in this store's bucket.
func (s Store) URI(key string) string { return "s3://" + s.Bucket + "/" + key }

// Base is the object's name within its pack's prefix (what the hash file names).
func Base(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }

// KindOf says what an object of a pack is, and of which document, from its key ("" for
// a name this layout does not know).
func KindOf(key string) (kind, docID string) {
	name := Base(key)
	switch {
	case strings.HasPrefix(name, "envelope_") && strings.HasSuffix(name, ".json"):
		return KindEnvelope, strings.TrimSuffix(strings.TrimPrefix(name, "envelope_"), ".json")
	case strings.HasPrefix(name, "signed_") && strings.HasSuffix(name, ".pdf"):
		return KindSigned, strings.TrimSuffix(strings.TrimPrefix(name, "signed_"), ".pdf")
	case strings.HasPrefix(name, "certificate_") && strings.HasSuffix(name, ".pdf"):
		return KindCertificate, strings.TrimSuffix(strings.TrimPrefix(name, "certificate_"), ".pdf")
	case strings.HasPrefix(name, "evidence_") && strings.HasSuffix(name, ".json"):
		return KindEvidence, strings.TrimSuffix(strings.TrimPrefix(name, "evidence_"), ".json")
	case strings.HasPrefix(name, "hash_") && strings.HasSuffix(name, ".txt"):
		return KindHash, strings.TrimSuffix(strings.TrimPrefix(name, "hash_"), ".txt")
	case strings.HasPrefix(name, "doc_") && strings.HasSuffix(name, ".pdf"):
		rest := strings.TrimPrefix(name, "doc_")
		if i := strings.LastIndex(rest, "_v"); i > 0 {
			return KindPDF, rest[:i]
		}
	}
	return "", ""
}

// HashFile is the content of hash_{doc_id}.txt: the PDF's SHA-256 and its name, in the
// format of sha256sum.
func HashFile(sum, pdfKey string) []byte { return []byte(fmt.Sprintf("%s  %s\n", sum, Base(pdfKey))) }

// ErrObjectConflict means an object already exists at a write-once key with other bytes.
var ErrObjectConflict = errors.New("a different object already exists at this write-once key")

// ErrNoObject means no object is at the key.
var ErrNoObject = errors.New("no such object")

// PutOnce writes body at key only if nothing is there (If-None-Match: *), with its
// SHA-256 for S3 to verify (a locked bucket requires a checksum). If the key already
// holds the same bytes, as after a retried job, it succeeds without writing: a retry
// never makes a second version. It returns the hex SHA-256 of body.
func (s Store) PutOnce(ctx context.Context, key, contentType string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType:          aws.String(contentType),
		ChecksumSHA256:       aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		IfNoneMatch:          aws.String("*"),
		ServerSideEncryption: s.Encryption(),
	}
	if s.KMSKeyID != "" {
		in.SSEKMSKeyId = aws.String(s.KMSKeyID)
	}
	_, err := s.S3.PutObject(ctx, in)
	if err == nil {
		return hexSum, nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || (ae.ErrorCode() != "PreconditionFailed" && ae.ErrorCode() != "ConditionalRequestConflict") {
		return "", fmt.Errorf("put %s: %w", s.URI(key), err)
	}
	existing, err := s.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(existing, body) {
		return "", fmt.Errorf("%s: %w", s.URI(key), ErrObjectConflict)
	}
	return hexSum, nil
}

// Encryption is the server-side encryption every put asks for: aws:kms with a KMS key,
// AES256 (SSE-S3) without.
func (s Store) Encryption() s3types.ServerSideEncryption {
	if s.KMSKeyID != "" {
		return s3types.ServerSideEncryptionAwsKms
	}
	return s3types.ServerSideEncryptionAes256
}

// Get reads an object's current version.
func (s Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		if isMissing(err) {
			return nil, fmt.Errorf("get %s: %w", s.URI(key), ErrNoObject)
		}
		return nil, fmt.Errorf("get %s: %w", s.URI(key), err)
	}
	defer func() { _ = out.Body.Close() }()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.URI(key), err)
	}
	return b, nil
}

// Object is one stored object of a pack.
type Object struct {
	Key      string
	Modified time.Time
	Size     int64
}

// ListPack lists a pack's objects.
func (s Store) ListPack(ctx context.Context, packID string) ([]Object, error) {
	prefix := PackPrefix(s.Env, packID)
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.S3, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.URI(prefix), err)
		}
		for _, o := range page.Contents {
			out = append(out, Object{Key: aws.ToString(o.Key), Modified: aws.ToTime(o.LastModified), Size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

// Lock is an object's Object Lock state, and its server-side encryption (read by the
// same HEAD).
type Lock struct {
	Mode        string // GOVERNANCE or COMPLIANCE; "" for none
	RetainUntil time.Time
	LegalHold   bool
	Encryption  string // AES256, aws:kms; "" for none
	KMSKeyID    string // the KMS key of aws:kms, as the store reports it
}

// LockOf reads an object's retention, legal hold and encryption.
func (s Store) LockOf(ctx context.Context, key string) (Lock, error) {
	head, err := s.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		return Lock{}, fmt.Errorf("head %s: %w", s.URI(key), err)
	}
	return Lock{Mode: string(head.ObjectLockMode), RetainUntil: aws.ToTime(head.ObjectLockRetainUntilDate),
		LegalHold:  head.ObjectLockLegalHoldStatus == s3types.ObjectLockLegalHoldStatusOn,
		Encryption: string(head.ServerSideEncryption), KMSKeyID: aws.ToString(head.SSEKMSKeyId)}, nil
}

// SetLegalHold sets or clears an object's legal hold; ErrNoObject when it is missing.
func (s Store) SetLegalHold(ctx context.Context, key string, on bool) error {
	status := s3types.ObjectLockLegalHoldStatusOff
	if on {
		status = s3types.ObjectLockLegalHoldStatusOn
	}
	_, err := s.S3.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(key),
		LegalHold: &s3types.ObjectLockLegalHold{Status: status},
	})
	if err != nil {
		if isMissing(err) {
			return fmt.Errorf("legal hold on %s: %w", s.URI(key), ErrNoObject)
		}
		return fmt.Errorf("legal hold on %s: %w", s.URI(key), err)
	}
	return nil
}

func isMissing(err error) bool {
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	return strings.Contains(err.Error(), "StatusCode: 404")
}
