package checkr

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"trustdocs/apierror"
	"trustdocs/idcheck"
)

const opRetrieve = "retrieve"

// report is all that is decoded of a Checkr report: the rest is never read.
type report struct {
	ID          string `json:"id"`
	CandidateID string `json:"candidate_id"`
	Status      string `json:"status"` // pending, complete, suspended, dispute, canceled
	Result      string `json:"result"` // clear, consider, or null while pending
}

// Report retrieves report reportID: its id, candidate, status and result, nothing more.
func (c *Client) Report(ctx context.Context, reportID string) (idcheck.Report, error) {
	if strings.TrimSpace(reportID) == "" {
		return idcheck.Report{}, errors.New("checkr retrieve: empty report id")
	}
	rep, err := c.get(ctx, opRetrieve, "/v1/reports/"+url.PathEscape(reportID))
	if err != nil {
		return idcheck.Report{}, err
	}
	var r report
	if json.Unmarshal(rep.Body, &r) != nil || r.ID != reportID || r.Status == "" {
		// The decoder's words are not kept: they could quote the answer.
		c.retry.Outcome(opRetrieve, "failed")
		return idcheck.Report{}, &apierror.Error{Provider: providerName, Op: opRetrieve, Status: rep.Status,
			Message: "the answer is not report " + reportID}
	}
	c.retry.Outcome(opRetrieve, "ok")
	return idcheck.Report(r), nil
}
