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

	"trustdocs/docpack"
	"trustdocs/docstore"
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
	// Encryption is the PDF's server-side encryption as S3 reports it (AES256, aws:kms
	// with its key). Shown, not checked: objects stored before the bucket's default
	// encryption was set have none, and are no less genuine.
	Encryption string `json:"encryption"`
	// Anchor is the comparison of the database's evidence log with the anchored copy.
	Anchor AnchorCheck `json:"evidence_anchor"`
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
func Verify(ctx context.Context, q store.Querier, docs docstore.Store, docID string) (Report, error) {
	r := Report{DocID: docID}
	d, err := store.DocByID(ctx, q, docID)
	if err != nil {
		return r, err
	}
	if d.RenderS3 == nil || d.RenderSHA256 == nil {
		return r, fmt.Errorf("doc %s has not been rendered yet", docID)
	}
	keys := docs.Keys(d.PackID, d.DocID, 1)
	r.PDF = *d.RenderS3
	pdf, err := docs.Get(ctx, keys.PDF)
	if err != nil {
		return r, err
	}
	sum := sha256.Sum256(pdf)
	r.SHA256 = hex.EncodeToString(sum[:])
	r.check("database hash", r.SHA256 == *d.RenderSHA256, fmt.Sprintf("pdf %s, database %s", r.SHA256, *d.RenderSHA256))

	hashFile, err := docs.Get(ctx, keys.Hash)
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

	again, err := rerender(ctx, q, d)
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
	anchor, ok, detail, err := checkAnchor(ctx, q, docs, d)
	if err != nil {
		return r, err
	}
	r.Anchor = anchor
	r.check("evidence anchor", ok, detail)

	for _, c := range []struct {
		name, key string
		sha       *string
	}{{"executed copy", keys.Signed, d.SignedSHA256}, {"certificate", keys.Certificate, d.CertSHA256}} {
		if c.sha != nil {
			ok, detail := checkStored(ctx, docs, c.key, *c.sha)
			r.check(c.name, ok, detail)
		}
	}

	lock, err := docs.LockOf(ctx, keys.PDF)
	if err != nil {
		return r, err
	}
	r.RetentionMode, r.RetainUntil, r.LegalHold = lock.Mode, lock.RetainUntil, lock.LegalHold
	r.Encryption = lock.Encryption
	if lock.KMSKeyID != "" {
		r.Encryption += " (key " + lock.KMSKeyID + ")"
	}
	r.check("retention", r.RetentionMode != "" && r.RetainUntil.After(time.Now()),
		fmt.Sprintf("%s until %s", r.RetentionMode, r.RetainUntil.Format(time.DateOnly)))
	r.LegalHoldActor, r.LegalHoldWhy = d.LegalHoldActor, d.LegalHoldReason
	return r, nil
}

// checkStored compares a stored object's SHA-256 with the recorded one and says whether
// it is locked.
func checkStored(ctx context.Context, docs docstore.Store, key, recorded string) (bool, string) {
	b, err := docs.Get(ctx, key)
	if err != nil {
		return false, err.Error()
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	lock, err := docs.LockOf(ctx, key)
	if err != nil {
		return false, err.Error()
	}
	locked := lock.Mode != "" && lock.RetainUntil.After(time.Now())
	return got == recorded && locked, fmt.Sprintf("%s: sha256 %s, database %s; %s until %s", docstore.Base(key), got, recorded,
		lock.Mode, lock.RetainUntil.Format(time.DateOnly))
}

// rerender renders the document again from what the database keeps of it, as the
// render job first did (docpack.Render).
func rerender(ctx context.Context, q store.Querier, d store.Doc) ([]byte, error) {
	in, err := store.RenderInputs(ctx, q, d)
	if err != nil {
		return nil, err
	}
	return docpack.Render(in)
}

// SetLegalHold sets or clears the S3 legal hold on a document's objects (PDF, hash
// file, envelope file, evidence anchor) and records who did it and why.
func SetLegalHold(ctx context.Context, db store.DB, docs docstore.Store, docID string, on bool, actor, reason string) ([]string, error) {
	var done []string
	err := store.InTx(ctx, db, func(tx store.Tx) error {
		d, err := store.DocByID(ctx, tx, docID)
		if err != nil {
			return err
		}
		keys := docs.Keys(d.PackID, d.DocID, 1)
		for _, key := range []string{keys.PDF, keys.Hash, keys.Envelope, keys.Evidence} {
			if err := docs.SetLegalHold(ctx, key, on); err != nil {
				if errors.Is(err, docstore.ErrNoObject) && key != keys.PDF {
					continue // the envelope file exists once the envelope was sent, the anchor once it ended
				}
				return err
			}
			done = append(done, key)
		}
		return store.RecordLegalHoldTx(ctx, tx, docID, on, actor, reason)
	})
	return done, err
}
