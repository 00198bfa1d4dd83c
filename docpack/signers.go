package docpack

import (
	"slices"
	"sort"
)

// Signer is who signs a document for a role.
type Signer struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// SignerMap is a document's signers by role: doc_instance.signer_map_json, read and
// written as this one type everywhere (the pack build, the render, the envelope, the
// provider's webhooks).
type SignerMap map[string]Signer

// Roles returns the map's roles in the given order (the template's signer order); roles
// not in order come last, sorted, so the result is deterministic.
func (m SignerMap) Roles(order []string) []string {
	var out []string
	for _, role := range order {
		if _, ok := m[role]; ok && !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	var rest []string
	for role := range m {
		if !slices.Contains(out, role) {
			rest = append(rest, role)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
