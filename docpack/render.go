package docpack

import (
	"fmt"
	"slices"

	"trustdocs/content"
	"trustdocs/render"
)

// Stored is what the database keeps of a document: enough to render it again, byte for
// byte, for the first render and for `pipelinectl doc verify`.
type Stored struct {
	DocID        string
	TemplateName string
	Layout       content.Layout
	Clauses      []content.LiveClause // in the template's order
	Variables    map[string]string
	Signers      SignerMap
}

// Render renders a stored document: its template version's layout, its clause versions
// in order, its variables, and a signature block per signer in the template's signer
// order.
func Render(s Stored) ([]byte, error) {
	pdf, _, err := RenderWithFields(s)
	return pdf, err
}

// RenderWithFields is Render that also says where each signer signs (what e-sign
// providers place their signature fields on). The bytes are Render's.
func RenderWithFields(s Stored) ([]byte, []render.SignatureField, error) {
	doc := render.Document{Title: s.TemplateName, Header: s.Layout.Header, Footer: s.Layout.Footer, Variables: s.Variables}
	for _, c := range s.Clauses {
		doc.Sections = append(doc.Sections, render.Section{Markdown: c.Body, PageBreakBefore: slices.Contains(s.Layout.PageBreakBefore, c.Name)})
	}
	for _, role := range s.Signers.Roles(content.SignerRoles) {
		sg := s.Signers[role]
		doc.Signers = append(doc.Signers, render.Signer{Role: role, Name: sg.Name, Email: sg.Email})
	}
	pdf, fields, err := render.RenderWithFields(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("render %s: %w", s.DocID, err)
	}
	return pdf, fields, nil
}
