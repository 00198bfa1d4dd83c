package persona

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"trustdocs/apierror"
	"trustdocs/idcheck"
)

const opRetrieve = "retrieve"

// inquiryDocument is the part of Retrieve an Inquiry's answer that can carry a date of
// birth, and nothing else: the name, address, photos and the rest are never decoded.
// Values are kept raw so that a field of an unexpected type is skipped, not an error.
type inquiryDocument struct {
	Data struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Attributes struct {
			Fields struct {
				Birthdate *struct {
					Value json.RawMessage `json:"value"`
				} `json:"birthdate"`
			} `json:"fields"`
			Birthdate json.RawMessage `json:"birthdate"` // versions before 2025-10-27
		} `json:"attributes"`
	} `json:"data"`
	Included []struct {
		Type       string `json:"type"`
		Attributes struct {
			Status    string          `json:"status"`
			Birthdate json.RawMessage `json:"birthdate"`
		} `json:"attributes"`
	} `json:"included"`
}

// AgeVerified retrieves inquiry ref and reports whether its date of birth shows an adult
// at at; found is false when neither the inquiry nor any of its verifications carries a
// date. See the package documentation for where the date is read.
func (c *Client) AgeVerified(ctx context.Context, ref string, at time.Time) (adult, found bool, err error) {
	if strings.TrimSpace(ref) == "" {
		return false, false, errors.New("persona retrieve: empty inquiry id")
	}
	rep, err := c.get(ctx, opRetrieve, "/api/v1/inquiries/"+url.PathEscape(ref),
		url.Values{"include": {"verifications"}})
	if err != nil {
		return false, false, err
	}
	var doc inquiryDocument
	if json.Unmarshal(rep.Body, &doc) != nil || doc.Data.Type != "inquiry" || doc.Data.ID != ref {
		// The decoder's words are not kept: they could quote the answer.
		c.retry.Outcome(opRetrieve, "failed")
		return false, false, &apierror.Error{Provider: providerName, Op: opRetrieve, Status: rep.Status,
			Message: "the answer is not inquiry " + ref}
	}
	c.retry.Outcome(opRetrieve, "ok")
	adult, found = doc.adult(at)
	return adult, found, nil
}

// adult applies idcheck.Adult to the first date of birth the document holds, in the
// package documentation's order. The date stays in this function.
func (d *inquiryDocument) adult(at time.Time) (adult, found bool) {
	a := &d.Data.Attributes
	var candidates []json.RawMessage
	if a.Fields.Birthdate != nil {
		candidates = append(candidates, a.Fields.Birthdate.Value)
	}
	candidates = append(candidates, a.Birthdate)
	for rank := range 4 { // government ID passed, government ID, other passed, other
		for _, inc := range d.Included {
			if strings.HasPrefix(inc.Type, "verification/") && verificationRank(inc.Type, inc.Attributes.Status) == rank {
				candidates = append(candidates, inc.Attributes.Birthdate)
			}
		}
	}
	for _, raw := range candidates {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			continue // absent, null or not a string
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			continue
		}
		return idcheck.Adult(s, at), true
	}
	return false, false
}

// verificationRank orders verifications by how much their date of birth is worth: a
// government ID's, read off the document, before another kind's (a database or document
// verification starts from what the individual entered), and within each a passed
// verification's before one that did not pass.
func verificationRank(typ, status string) int {
	rank := 0
	if typ != "verification/government-id" {
		rank = 2
	}
	if status != "passed" {
		rank++
	}
	return rank
}
