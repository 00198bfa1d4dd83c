// Package evidence proves a stored document untouched: it re-renders a document from
// the inputs the database keeps, compares hashes across S3, the hash file and the
// database, and reads and sets the S3 retention and legal hold of a document's objects.
package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"trustdocs/content"
	"trustdocs/esign"
	"trustdocs/render"
	"trustdocs/store"
)

// RenderStored renders a document from what the database holds: its template version's
// layout, its clause versions in order, its variables and signers.
func RenderStored(ctx context.Context, q store.Querier, d store.DocToRender) ([]byte, error) {
	name, layout, err := store.TemplateVersion(ctx, q, d.TemplateID)
	if err != nil {
		return nil, err
	}
	clauses, err := store.ClausesByID(ctx, q, d.ClauseIDs)
	if err != nil {
		return nil, err
	}
	var signers map[string]esign.Recipient
	if err := json.Unmarshal(d.SignerMap, &signers); err != nil {
		return nil, fmt.Errorf("doc %s signer map: %w", d.DocID, err)
	}
	doc := render.Document{Title: name, Header: layout.Header, Footer: layout.Footer, Variables: d.Variables}
	for _, c := range clauses {
		doc.Sections = append(doc.Sections, render.Section{Markdown: c.Body, PageBreakBefore: slices.Contains(layout.PageBreakBefore, c.Name)})
	}
	for _, r := range esign.RecipientsFrom(signers, content.SignerRoles) {
		doc.Signers = append(doc.Signers, render.Signer{Role: r.Role, Name: r.Name, Email: r.Email})
	}
	pdf, err := render.Render(doc)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", d.DocID, err)
	}
	return pdf, nil
}
