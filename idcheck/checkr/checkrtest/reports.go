package checkrtest

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// reportExample is a Checkr Report with every member: testdata/SOURCE.md.
//
//go:embed testdata/report.json
var reportExample []byte

// Report statuses and results, as Checkr names them.
const (
	StatusPending   = "pending"
	StatusComplete  = "complete"
	StatusSuspended = "suspended"
	StatusDispute   = "dispute"
	StatusCanceled  = "canceled"
	ResultClear     = "clear"
	ResultConsider  = "consider"
)

// AddReport stores report id for candidateID with status and result ("" for null, as
// while pending). The rest is the example report's; a report that is not complete has
// no completed_at, turnaround_time, adjudication or assessment yet.
func (s *Server) AddReport(id, candidateID, status, result string) {
	s.t.Helper()
	r, err := newReport(id, candidateID, status, result)
	if err != nil {
		s.t.Fatalf("checkrtest: AddReport(%q): %v", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[id] = r
}

func newReport(id, candidateID, status, result string) (map[string]any, error) {
	var r map[string]any
	if err := json.Unmarshal(reportExample, &r); err != nil {
		return nil, fmt.Errorf("testdata/report.json: %w", err)
	}
	r["id"], r["uri"], r["candidate_id"], r["status"] = id, "/v1/reports/"+id, candidateID, status
	r["result"] = nil
	if result != "" {
		r["result"] = result
	}
	if status != StatusComplete {
		for _, k := range []string{"completed_at", "turnaround_time", "adjudication", "assessment"} {
			r[k] = nil
		}
	}
	return r, nil
}
