package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/jackc/pgx/v5"

	"trustdocs/store"
)

// Check is one comparison of a verification.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is the verification of one document.
type Report struct {
	DocID          string    `json:"doc_id"`
	PDF            string    `json:"pdf"`
	SHA256         string    `json:"sha256"`
	Checks         []Check   `json:"checks"`
	RetentionMode  string    `json:"retention_mode"`
	RetainUntil    time.Time `json:"retain_until"`
	LegalHold      bool      `json:"legal_hold"`
	LegalHoldActor string    `json:"legal_hold_actor,omitempty"`
	LegalHoldWhy   string    `json:"legal_hold_reason,omitempty"`
}

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

func (r *Report) check(name string, ok bool, detail string) {
	r.Checks = append(r.Checks, Check{name, ok, detail})
}

// Verify downloads a document's PDF, recomputes its SHA-256 and compares it with the
// database and the hash file, re-renders it from the stored inputs and compares the
// bytes, and reads its retention and legal hold. A mismatch is a failed check in the
// report, not an error; errors mean the verification itself could not be done.
func Verify(ctx context.Context, q store.Querier, client *s3.Client, bucket, env, docID string) (Report, error) {
	r := Report{DocID: docID}
	d, err := store.DocForRender(ctx, q, docID)
	if err != nil {
		return r, err
	}
	if d.RenderS3 == nil || d.RenderSHA256 == nil {
		return r, fmt.Errorf("doc %s has not been rendered yet", docID)
	}
	keys := store.KeysFor(env, d.PackID, d.DocID, 1)
	r.PDF = *d.RenderS3
	pdf, err := store.GetObject(ctx, client, bucket, keys.PDF)
	if err != nil {
		return r, err
	}
	sum := sha256.Sum256(pdf)
	r.SHA256 = hex.EncodeToString(sum[:])
	r.check("database hash", r.SHA256 == *d.RenderSHA256, fmt.Sprintf("pdf %s, database %s", r.SHA256, *d.RenderSHA256))

	hashFile, err := store.GetObject(ctx, client, bucket, keys.Hash)
	if err != nil {
		r.check("hash file", false, err.Error())
	} else {
		fields := strings.Fields(string(hashFile))
		got := ""
		if len(fields) > 0 {
			got = fields[0]
		}
		r.check("hash file", got == r.SHA256, fmt.Sprintf("pdf %s, %s says %s", r.SHA256, keys.Hash, got))
	}

	again, err := RenderStored(ctx, q, d)
	if err != nil {
		r.check("re-render", false, err.Error())
	} else {
		resum := sha256.Sum256(again)
		r.check("re-render", bytes.Equal(again, pdf),
			fmt.Sprintf("re-rendered from the stored inputs: %d bytes, sha256 %s", len(again), hex.EncodeToString(resum[:])))
	}

	breaks, n, err := store.VerifySignChain(ctx, q, docID)
	if err != nil {
		return r, err
	}
	if len(breaks) == 0 {
		r.check("evidence chain", true, fmt.Sprintf("%d sign events, every hash chained to the one before", n))
	} else {
		r.check("evidence chain", false, fmt.Sprintf("%d of %d sign events do not match their chain, first at seq %d (%s)",
			len(breaks), n, breaks[0].Seq, breaks[0].SignEventID))
	}

	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys.PDF)})
	if err != nil {
		return r, fmt.Errorf("head s3://%s/%s: %w", bucket, keys.PDF, err)
	}
	r.RetentionMode = string(head.ObjectLockMode)
	r.RetainUntil = aws.ToTime(head.ObjectLockRetainUntilDate)
	r.LegalHold = head.ObjectLockLegalHoldStatus == s3types.ObjectLockLegalHoldStatusOn
	r.check("retention", r.RetentionMode != "" && r.RetainUntil.After(time.Now()),
		fmt.Sprintf("%s until %s", r.RetentionMode, r.RetainUntil.Format(time.DateOnly)))
	var actor, why *string
	if err := q.QueryRow(ctx, `select legal_hold_actor, legal_hold_reason from doc_instance where doc_id = $1`, docID).Scan(&actor, &why); err != nil && err != pgx.ErrNoRows {
		return r, fmt.Errorf("doc %s legal hold: %w", docID, err)
	}
	r.LegalHoldActor, r.LegalHoldWhy = deref(actor), deref(why)
	return r, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SetLegalHold sets or clears the S3 legal hold on a document's objects (PDF, hash
// file, envelope file) and records who did it and why.
func SetLegalHold(ctx context.Context, pool interface {
	Begin(context.Context) (pgx.Tx, error)
}, client *s3.Client, bucket, env, docID string, on bool, actor, reason string) ([]string, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	d, err := store.DocForRender(ctx, tx, docID)
	if err != nil {
		return nil, err
	}
	keys := store.KeysFor(env, d.PackID, d.DocID, 1)
	status := s3types.ObjectLockLegalHoldStatusOff
	if on {
		status = s3types.ObjectLockLegalHoldStatusOn
	}
	var done []string
	for _, key := range []string{keys.PDF, keys.Hash, keys.Envelope} {
		_, err := client.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
			Bucket: aws.String(bucket), Key: aws.String(key),
			LegalHold: &s3types.ObjectLockLegalHold{Status: status},
		})
		if err != nil {
			if isMissing(err) && key != keys.PDF {
				continue // the envelope file exists only once the envelope was sent
			}
			return done, fmt.Errorf("legal hold on s3://%s/%s: %w", bucket, key, err)
		}
		done = append(done, key)
	}
	if err := store.RecordLegalHoldTx(ctx, tx, docID, on, actor, reason); err != nil {
		return done, err
	}
	return done, tx.Commit(ctx)
}

func isMissing(err error) bool {
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	return strings.Contains(err.Error(), "NoSuchKey") || strings.Contains(err.Error(), "StatusCode: 404")
}
