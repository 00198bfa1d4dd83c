package dropboxsign

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strconv"

	"trustdocs/esign"
)

// maxText is the API's maxLength for title and subject, in characters.
const maxText = 255

// sizeScale converts a width or height in PDF points (72 DPI) to Dropbox Sign's field
// size units (80 DPI). Positions need no conversion: with `page` set they are 72 DPI.
const sizeScale = 80.0 / 72.0

// formField is one entry of form_fields_per_document, a signature field (schemas
// SubFormFieldsPerDocumentBase and SubFormFieldsPerDocumentSignature).
type formField struct {
	DocumentIndex int    `json:"document_index"`
	APIID         string `json:"api_id"`
	Type          string `json:"type"`
	Required      bool   `json:"required"`
	Signer        string `json:"signer"` // the signer's 0-based index, as a string
	Page          int    `json:"page"`
	X             int    `json:"x"`
	Y             int    `json:"y"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
}

// sendForm is the multipart body of POST /signature_request/send for an envelope.
type sendForm struct {
	contentType string
	body        []byte
	// signers are the recipients in the order sent: index = signer index = order.
	signers []esign.Recipient
}

// newSendForm builds the send form of e; the error says what makes e unsendable.
func newSendForm(e esign.Envelope, testMode bool) (sendForm, error) {
	switch {
	case e.DocID == "":
		return sendForm{}, errors.New("envelope has no doc_id")
	case len(e.PDF) == 0:
		return sendForm{}, fmt.Errorf("envelope of %s has no PDF", e.DocID)
	case len(e.Recipients) == 0:
		return sendForm{}, fmt.Errorf("envelope of %s has no recipients", e.DocID)
	}
	signers := slices.Clone(e.Recipients)
	slices.SortStableFunc(signers, func(a, b esign.Recipient) int { return cmp.Compare(a.RoutingOrder, b.RoutingOrder) })
	index := make(map[string]int, len(signers))
	for i, r := range signers {
		if r.Email == "" {
			return sendForm{}, fmt.Errorf("recipient %s of %s has no email", r.Role, e.DocID)
		}
		if _, dup := index[r.Role]; dup {
			return sendForm{}, fmt.Errorf("role %s appears twice among the recipients of %s", r.Role, e.DocID)
		}
		index[r.Role] = i
	}
	fields, err := formFields(e.Fields, index)
	if err != nil {
		return sendForm{}, fmt.Errorf("fields of %s: %w", e.DocID, err)
	}

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition("files[0]", e.DocID+".pdf"))
	h.Set("Content-Type", "application/pdf")
	part, err := w.CreatePart(h)
	if err != nil {
		return sendForm{}, err
	}
	if _, err := part.Write(e.PDF); err != nil {
		return sendForm{}, err
	}
	title := cut(e.Title, maxText)
	if title == "" {
		title = e.DocID // something for signers to tell their requests apart by
	}
	values := [][2]string{{"title", title}, {"subject", title}, {"metadata[doc_id]", e.DocID}, {"metadata[pack_id]", e.PackID}}
	for i, r := range signers {
		name := r.Name
		if name == "" {
			name = r.Email // the API requires a name; the address is what the signer knows
		}
		p := "signers[" + strconv.Itoa(i) + "]"
		values = append(values, [2]string{p + "[name]", name}, [2]string{p + "[email_address]", r.Email},
			[2]string{p + "[order]", strconv.Itoa(i)})
	}
	if testMode {
		values = append(values, [2]string{"test_mode", "1"})
	}
	if len(fields) > 0 {
		js, err := json.Marshal(fields)
		if err != nil {
			return sendForm{}, err
		}
		values = append(values, [2]string{"form_fields_per_document", string(js)})
	}
	for _, v := range values {
		if err := w.WriteField(v[0], v[1]); err != nil {
			return sendForm{}, err
		}
	}
	if err := w.Close(); err != nil {
		return sendForm{}, err
	}
	return sendForm{contentType: w.FormDataContentType(), body: buf.Bytes(), signers: signers}, nil
}

// formFields maps our fields to Dropbox Sign's: one required signature field each, on
// the only file, for the signer of the field's role. index maps a role to its signer
// index.
func formFields(fields []esign.Field, index map[string]int) ([]formField, error) {
	out := make([]formField, 0, len(fields))
	for i, f := range fields {
		signer, ok := index[f.Role]
		switch {
		case !ok:
			return nil, fmt.Errorf("field %d is for role %q, which signs nothing here", i, f.Role)
		case f.Page < 1:
			return nil, fmt.Errorf("field %d has page %d; pages count from 1", i, f.Page)
		case f.W <= 0 || f.H <= 0 || f.X < 0 || f.Y < 0:
			return nil, fmt.Errorf("field %d has box (%g, %g, %g×%g)", i, f.X, f.Y, f.W, f.H)
		}
		out = append(out, formField{
			APIID: "sig_" + strconv.Itoa(i), Type: "signature", Required: true,
			Signer: strconv.Itoa(signer), Page: f.Page,
			X: units(f.X), Y: units(f.Y), Width: units(f.W * sizeScale), Height: units(f.H * sizeScale),
		})
	}
	return out, nil
}

func units(v float64) int { return int(math.Round(v)) }

// cut shortens s to at most n characters (the API counts characters, not bytes).
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
