package personatest

import (
	"fmt"
	"strings"
)

// Where AddInquiry puts the date of birth.
const (
	// InFields: data.attributes.fields.birthdate.value, as every version serializes it.
	InFields = "fields"
	// InAttributes: only the flat data.attributes.birthdate of versions before
	// 2025-10-27 (the 2023-01-05 example), the typed field left empty.
	InAttributes = "attributes"
	// InVerification: only an included verification/government-id that passed, the
	// inquiry's own field left empty.
	InVerification = "verification"
)

// inquiry is a stored inquiry: its data object and the objects that include=<rel>
// puts in `included`.
type inquiry struct {
	data     map[string]any
	included map[string][]map[string]any // by relationship path: verifications, sessions, ...
}

// AddInquiry stores inquiry id, made from Persona's Retrieve an Inquiry example with its
// id, and its date of birth (YYYY-MM-DD, or "" for none anywhere) where says: InFields,
// InAttributes or InVerification. Everything else is the example's.
func (s *Server) AddInquiry(id, birthdate, where string) {
	s.t.Helper()
	inq, err := newInquiry(id, birthdate, where)
	if err != nil {
		s.t.Fatalf("personatest: AddInquiry(%q): %v", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inquiries[id] = inq
}

func newInquiry(id, birthdate, where string) (*inquiry, error) {
	base := "inquiry-retrieve.2025-12-08.yaml"
	if where == InAttributes {
		base = "inquiry-retrieve.2023-01-05.yaml"
	}
	doc, err := example(base)
	if err != nil {
		return nil, err
	}
	data, _ := doc["data"].(map[string]any)
	attrs, _ := data["attributes"].(map[string]any)
	field, _ := dig(attrs, "fields", "birthdate").(map[string]any)
	if data == nil || attrs == nil || field == nil {
		return nil, fmt.Errorf("%s lacks data.attributes.fields.birthdate", base)
	}
	data["id"] = id
	field["value"] = nil
	if _, ok := attrs["birthdate"]; ok {
		attrs["birthdate"] = nil
	}
	inq := &inquiry{data: data, included: map[string][]map[string]any{}}
	for _, obj := range includedObjects(doc) {
		inq.included[relationshipOf(obj)] = append(inq.included[relationshipOf(obj)], obj)
	}
	if birthdate == "" {
		return inq, nil
	}
	switch where {
	case InFields:
		field["value"] = birthdate
	case InAttributes:
		attrs["birthdate"] = birthdate
	case InVerification:
		if err := inq.addGovernmentID(id, birthdate); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("where is %q, not %q, %q or %q", where, InFields, InAttributes, InVerification)
	}
	return inq, nil
}

// addGovernmentID adds Persona's passed government ID verification example, with this
// inquiry's id and date of birth, to the inquiry's verifications.
func (inq *inquiry) addGovernmentID(id, birthdate string) error {
	v, err := example("verification-government-id-passed.yaml")
	if err != nil {
		return err
	}
	ver, _ := v["data"].(map[string]any)
	vattrs, _ := ver["attributes"].(map[string]any)
	rel, _ := dig(ver, "relationships", "inquiry", "data").(map[string]any)
	refs, _ := dig(inq.data, "relationships", "verifications").(map[string]any)
	if vattrs == nil || rel == nil || refs == nil {
		return fmt.Errorf("the verification example lacks attributes or relationships")
	}
	ver["id"] = "ver_" + strings.TrimPrefix(id, "inq_")
	vattrs["birthdate"] = birthdate
	rel["id"] = id
	list, _ := refs["data"].([]any)
	refs["data"] = append(list, map[string]any{"type": ver["type"], "id": ver["id"]})
	inq.included["verifications"] = append(inq.included["verifications"], ver)
	return nil
}

// body is the answer to a retrieval with include (comma-separated relationship paths).
func (inq *inquiry) body(include string) map[string]any {
	included := []any{}
	for rel := range strings.SplitSeq(include, ",") {
		for _, obj := range inq.included[strings.TrimSpace(rel)] {
			included = append(included, obj)
		}
	}
	return map[string]any{"data": inq.data, "included": included}
}

func includedObjects(doc map[string]any) []map[string]any {
	list, _ := doc["included"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, o := range list {
		if m, ok := o.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// relationshipOf names the inquiry relationship an included object answers to, which is
// what the include parameter lists.
func relationshipOf(obj map[string]any) string {
	t, _ := obj["type"].(string)
	switch {
	case strings.HasPrefix(t, "verification/"):
		return "verifications"
	case t == "inquiry-session":
		return "sessions"
	case strings.HasPrefix(t, "report/"):
		return "reports"
	case strings.HasPrefix(t, "document/"):
		return "documents"
	}
	return t // inquiry-template, account, ...
}
