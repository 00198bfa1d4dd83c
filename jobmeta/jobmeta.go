// Package jobmeta is the contract between the code that inserts River jobs and the code
// that finds them again (`pipelinectl trace`): every job carries, in River's job
// metadata, the ids of what it concerns (event, leg, pack, document, users, background
// check candidate). The trace asks River for jobs by that metadata (a jsonb @> match),
// never by the shape of a kind's arguments, so args can change without the trace
// silently missing jobs.
//
// A job kind's args declare what they concern with a Concerns method; Hook, installed on
// every River client that inserts, writes it into the metadata and refuses to insert a
// job whose args do not declare it.
package jobmeta

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Meta is the ids a job concerns. Empty fields are left out of the metadata.
type Meta struct {
	EventID     string   `json:"event_id,omitempty"`
	LegID       string   `json:"leg_id,omitempty"`
	PackID      string   `json:"pack_id,omitempty"`
	DocID       string   `json:"doc_id,omitempty"`
	UserIDs     []string `json:"user_ids,omitempty"`
	CandidateID string   `json:"candidate_id,omitempty"`
}

// Empty reports whether m names nothing.
func (m Meta) Empty() bool {
	return m.EventID == "" && m.LegID == "" && m.PackID == "" && m.DocID == "" && len(m.UserIDs) == 0 && m.CandidateID == ""
}

// JSON is m as a metadata document, and as the fragment River's JobListParams.Metadata
// matches with @> (a job whose user_ids hold the user matches {"user_ids":["u"]}).
func (m Meta) JSON() string {
	b, _ := json.Marshal(m) // strings and a string slice: cannot fail
	return string(b)
}

// Concerning is implemented by every job kind's args.
type Concerning interface {
	river.JobArgs
	// Concerns names the ids the job is about. A kind that concerns no id (a periodic
	// sweep) returns the zero Meta and says so in Global.
	Concerns() Meta
}

// Global is implemented, returning true, by the args of kinds that concern no id.
type Global interface {
	Global() bool
}

// Of decodes a job's metadata (other keys River or plugins keep are ignored).
func Of(metadata []byte) Meta {
	var m Meta
	_ = json.Unmarshal(metadata, &m)
	return m
}

// Hook writes each inserted job's Concerns into its metadata, merged with metadata the
// inserter gave, and refuses a job that declares nothing.
type Hook struct {
	river.HookDefaults
}

var _ rivertype.HookInsertBegin = &Hook{}

// ErrUndeclared means a job's args do not say what the job concerns.
var ErrUndeclared = fmt.Errorf("job args do not declare what they concern (jobmeta.Concerning)")

// InsertBegin implements rivertype.HookInsertBegin.
func (*Hook) InsertBegin(_ context.Context, p *rivertype.JobInsertParams) error {
	c, ok := p.Args.(Concerning)
	if !ok {
		return fmt.Errorf("insert %s: %w", p.Kind, ErrUndeclared)
	}
	m := c.Concerns()
	if m.Empty() {
		if g, ok := p.Args.(Global); !ok || !g.Global() {
			return fmt.Errorf("insert %s: %w: it names no id and is not Global", p.Kind, ErrUndeclared)
		}
		return nil
	}
	if len(p.Metadata) == 0 || string(p.Metadata) == "{}" {
		// The common case (every insert but a test's or a plugin's): nothing to merge,
		// so no decode and re-encode on the consumer's insert path.
		p.Metadata = []byte(m.JSON())
		return nil
	}
	merged := map[string]json.RawMessage{}
	if err := json.Unmarshal(p.Metadata, &merged); err != nil {
		return fmt.Errorf("insert %s: metadata: %w", p.Kind, err)
	}
	var own map[string]json.RawMessage
	_ = json.Unmarshal([]byte(m.JSON()), &own)
	for k, v := range own {
		merged[k] = v
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("insert %s: metadata: %w", p.Kind, err)
	}
	p.Metadata = b
	return nil
}

// Hooks is what every River client that inserts trustdocs jobs installs
// (river.Config.Hooks).
func Hooks() []rivertype.Hook { return []rivertype.Hook{&Hook{}} }
