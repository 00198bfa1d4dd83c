package dropboxsigntest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Request is a signature request as the stand-in holds it, for assertions.
type Request struct {
	ID        string
	Title     string
	Subject   string
	TestMode  bool
	Metadata  map[string]string
	Signers   []Signer // in the order sent
	Fields    []Field  // form_fields_per_document, as sent
	PDF       []byte   // files[0] as uploaded
	Status    string   // StatusAwaiting, StatusComplete or StatusCanceled
	CreatedAt time.Time
}

// Signer is one signer of a Request.
type Signer struct {
	Name        string
	Email       string
	Order       *int // 0-based; nil when sent without one
	SignatureID string
	Status      string // awaiting_signature or signed
	ViewedAt    time.Time
	SignedAt    time.Time
}

// Field is one form_fields_per_document entry as sent: Dropbox Sign's units (x and y at
// 72 DPI from the page's top-left, width and height at 80 DPI).
type Field struct {
	DocumentIndex int    `json:"document_index"`
	APIID         string `json:"api_id"`
	Type          string `json:"type"`
	Required      bool   `json:"required"`
	Signer        string `json:"signer"`
	Page          int    `json:"page"`
	X             int    `json:"x"`
	Y             int    `json:"y"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
}

// Request statuses.
const (
	StatusAwaiting = "awaiting_signature"
	StatusComplete = "complete"
	StatusCanceled = "canceled"
)

// signedMarker is appended to the uploaded PDF to make the "executed" copy: tests can
// tell the two apart, and the copy still starts with %PDF-.
const signedMarker = "\n% dropboxsigntest: signed by every signer\n"

// record is a request held by the stand-in, with what list needs to simulate search
// lag.
type record struct {
	Request
	hiddenLists int // list calls still to come that do not show it
}

// clone is a deep copy, for handing out without sharing the stand-in's state.
func (r *Request) clone() Request {
	c := *r
	c.Metadata = maps.Clone(r.Metadata)
	c.Signers = slices.Clone(r.Signers)
	c.Fields = slices.Clone(r.Fields)
	c.PDF = slices.Clone(r.PDF)
	return c
}

// executed is the PDF files serves: the upload, with a marker once all have signed.
func (r *Request) executed() []byte {
	if r.Status != StatusComplete {
		return slices.Clone(r.PDF)
	}
	return append(slices.Clone(r.PDF), signedMarker...)
}

// newRequest builds a request from a validated send form.
func newRequest(f form, now time.Time) (*record, error) {
	obj := f.object
	r := &record{Request: Request{ID: randomHex(20), Status: StatusAwaiting, CreatedAt: now, Metadata: map[string]string{}}}
	r.Title, _ = obj["title"].(string)
	r.Subject, _ = obj["subject"].(string)
	r.TestMode, _ = obj["test_mode"].(bool)
	if len(f.files) != 1 {
		return nil, fmt.Errorf("the stand-in plays sends of exactly one file, got %d", len(f.files))
	}
	r.PDF = f.files[0]
	if md, ok := obj["metadata"].(map[string]any); ok {
		for k, v := range md {
			r.Metadata[k] = fmt.Sprint(v)
		}
	}
	signers, _ := obj["signers"].([]any)
	if len(signers) == 0 {
		return nil, fmt.Errorf("the stand-in plays sends with signers (not grouped_signers, not templates)")
	}
	for _, s := range signers {
		m, _ := s.(map[string]any)
		sg := Signer{SignatureID: randomHex(16), Status: "awaiting_signature"}
		sg.Name, _ = m["name"].(string)
		sg.Email, _ = m["email_address"].(string)
		if o, ok := m["order"].(float64); ok {
			n := int(o)
			sg.Order = &n
		}
		r.Signers = append(r.Signers, sg)
	}
	if ff, ok := obj["form_fields_per_document"]; ok {
		js, err := json.Marshal(ff)
		if err == nil {
			err = json.Unmarshal(js, &r.Fields)
		}
		if err != nil {
			return nil, fmt.Errorf("form_fields_per_document: %w", err)
		}
	}
	return r, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand's documented contract)
	return hex.EncodeToString(b)
}
