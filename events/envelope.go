package events

import (
	"encoding/json"
	"time"
)

// Envelope is every event's outer shape, inbound and outbound: id is the idempotency
// key, type a stable dotted name, data the type's payload.
type Envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Source     string          `json:"source"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}
