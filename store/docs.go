package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// DocKeys are the S3 keys of one document, in the seed's layout:
// {env}/packs/{pack_id}/doc_{doc_id}_v{n}.pdf, envelope_{doc_id}.json, hash_{doc_id}.txt.
type DocKeys struct {
	PDF, Envelope, Hash string
}

// KeysFor returns a document's keys; version is the PDF's version (1 for a first issue).
func KeysFor(env, packID, docID string, version int) DocKeys {
	prefix := fmt.Sprintf("%s/packs/%s/", env, packID)
	return DocKeys{
		PDF:      fmt.Sprintf("%sdoc_%s_v%d.pdf", prefix, docID, version),
		Envelope: fmt.Sprintf("%senvelope_%s.json", prefix, docID),
		Hash:     fmt.Sprintf("%shash_%s.txt", prefix, docID),
	}
}

// ErrObjectConflict means an object already exists at a write-once key with other bytes.
var ErrObjectConflict = errors.New("a different object already exists at this write-once key")

// PutOnce writes body at key only if nothing is there (If-None-Match: *), with its
// SHA-256 for S3 to verify (a locked bucket requires a checksum). If the key already
// holds the same bytes, as after a retried job, it succeeds without writing: a retry
// never makes a second version. It returns the hex SHA-256 of body.
func PutOnce(ctx context.Context, client *s3.Client, bucket, key, contentType string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType:    aws.String(contentType),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		IfNoneMatch:    aws.String("*"),
	})
	if err == nil {
		return hexSum, nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || (ae.ErrorCode() != "PreconditionFailed" && ae.ErrorCode() != "ConditionalRequestConflict") {
		return "", fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	existing, err := GetObject(ctx, client, bucket, key)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(existing, body) {
		return "", fmt.Errorf("s3://%s/%s: %w", bucket, key, ErrObjectConflict)
	}
	return hexSum, nil
}

// GetObject reads an object's current version.
func GetObject(ctx context.Context, client *s3.Client, bucket, key string) ([]byte, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return b, nil
}
