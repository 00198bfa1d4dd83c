package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"trustdocs/content"
)

// Published says what publishing did with one clause or template.
type Published struct {
	Kind    string // clause or template
	Name    string
	ID      string
	Version int
	Action  string // published (a new version), unchanged, activated, deactivated
}

// clauseRef is one entry of doc_template.clauses_ordered.
type clauseRef struct {
	ClauseID string `json:"clause_id"`
	Version  int    `json:"version"`
	Order    int    `json:"order"`
}

// PublishContentTx writes the library as doc_clause and doc_template versions. A clause
// or template whose content differs from its latest version becomes a new version (ids
// cls_<slug>_v<n>, tpl_<slug>_v<n>); unchanged content is a no-op; old versions stay for
// the packs that used them. A template pins the versions of its clauses, so a changed
// clause also versions every template that uses it. Concurrent publishers are serialized
// by an advisory lock.
func PublishContentTx(ctx context.Context, tx pgx.Tx, lib *content.Library, actor string) ([]Published, error) {
	if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext('trustdocs.content.publish'))`); err != nil {
		return nil, fmt.Errorf("publish lock: %w", err)
	}
	var out []Published
	current := map[string]clauseRef{} // clause name -> its latest version
	for _, c := range lib.Clauses {
		p, err := publishClause(ctx, tx, c, actor)
		if err != nil {
			return nil, err
		}
		current[c.Name] = clauseRef{ClauseID: p.ID, Version: p.Version}
		out = append(out, p)
	}
	for _, t := range lib.Templates {
		refs := make([]clauseRef, len(t.Clauses))
		for i, name := range t.Clauses {
			refs[i] = current[name]
			refs[i].Order = i + 1
		}
		p, err := publishTemplate(ctx, tx, t, refs, actor)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	return out, nil
}

func publishClause(ctx context.Context, tx pgx.Tx, c content.Clause, actor string) (Published, error) {
	p := Published{Kind: "clause", Name: c.Name}
	var same bool
	err := tx.QueryRow(ctx, `
		select clause_id, version,
		       body_markdown = $2 and variables_json = $3::jsonb
		       and city_gate is not distinct from $4::text[] and role_gate is not distinct from $5::text[]
		from doc_clause where name = $1 order by version desc limit 1`,
		c.Name, c.Body, string(c.Variables), c.CityGate, c.RoleGate).Scan(&p.ID, &p.Version, &same)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("clause %q: %w", c.Name, err)
	}
	if err == nil && same {
		p.Action = "unchanged"
		return p, nil
	}
	p.Version++
	p.ID = fmt.Sprintf("cls_%s_v%d", c.Slug, p.Version)
	p.Action = "published"
	_, err = tx.Exec(ctx, `
		insert into doc_clause (clause_id, name, version, city_gate, role_gate, is_active, body_markdown,
		                        variables_json, created_by, published_at)
		values ($1, $2, $3, $4, $5, true, $6, $7, $8, now())`,
		p.ID, c.Name, p.Version, c.CityGate, c.RoleGate, c.Body, string(c.Variables), actor)
	if err != nil {
		return p, fmt.Errorf("clause %q v%d: %w", c.Name, p.Version, err)
	}
	return p, nil
}

func publishTemplate(ctx context.Context, tx pgx.Tx, t content.Template, refs []clauseRef, actor string) ([]Published, error) {
	p := Published{Kind: "template", Name: t.Name}
	ordered, _ := json.Marshal(refs)
	layout, _ := json.Marshal(t.Layout)
	signers, _ := json.Marshal(t.SignerRoles)
	var same bool
	err := tx.QueryRow(ctx, `
		select template_id, version,
		       clauses_ordered = $2::jsonb and layout_json = $3::jsonb and signer_roles = $4::jsonb
		       and city_gate is not distinct from $5::text[] and role_gate is not distinct from $6::text[]
		from doc_template where name = $1 order by version desc limit 1`,
		t.Name, string(ordered), string(layout), string(signers), t.CityGate, t.RoleGate).Scan(&p.ID, &p.Version, &same)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("template %q: %w", t.Name, err)
	}
	out := []Published{}
	if err == nil && same {
		p.Action = "unchanged"
	} else {
		p.Version++
		p.ID = fmt.Sprintf("tpl_%s_v%d", t.Slug, p.Version)
		p.Action = "published"
		_, err = tx.Exec(ctx, `
			insert into doc_template (template_id, name, version, city_gate, role_gate, clauses_ordered, layout_json,
			                          signer_roles, is_active, created_by, published_at)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())`,
			p.ID, t.Name, p.Version, t.CityGate, t.RoleGate, string(ordered), string(layout), string(signers), t.Active, actor)
		if err != nil {
			return nil, fmt.Errorf("template %q v%d: %w", t.Name, p.Version, err)
		}
	}
	out = append(out, p)
	// `active: false` in the file retires every version of the template (and true brings
	// it back): is_active says whether new packs may use it, not what old packs used.
	tag, err := tx.Exec(ctx, `update doc_template set is_active = $2 where name = $1 and is_active is distinct from $2`, t.Name, t.Active)
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", t.Name, err)
	}
	if tag.RowsAffected() > 0 && p.Action == "unchanged" {
		out[0].Action = map[bool]string{true: "activated", false: "deactivated"}[t.Active]
	}
	return out, nil
}

// LiveTemplates returns, per template name, its latest published version if active.
func LiveTemplates(ctx context.Context, q Querier) ([]content.LiveTemplate, error) {
	rows, err := q.Query(ctx, `
		select distinct on (name) template_id, name, version, city_gate, role_gate, layout_json, signer_roles, clauses_ordered, is_active
		from doc_template where published_at is not null
		order by name, version desc`)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	type rawT struct {
		t       content.LiveTemplate
		refs    []clauseRef
		active  bool
		layout  []byte
		signers []byte
	}
	var raws []rawT
	for rows.Next() {
		var r rawT
		var ordered []byte
		if err := rows.Scan(&r.t.TemplateID, &r.t.Name, &r.t.Version, &r.t.CityGate, &r.t.RoleGate, &r.layout, &r.signers, &ordered, &r.active); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if err := json.Unmarshal(ordered, &r.refs); err != nil {
			return nil, fmt.Errorf("template %s clauses_ordered: %w", r.t.TemplateID, err)
		}
		if err := json.Unmarshal(r.layout, &r.t.Layout); err != nil {
			return nil, fmt.Errorf("template %s layout: %w", r.t.TemplateID, err)
		}
		if err := json.Unmarshal(r.signers, &r.t.SignerRoles); err != nil {
			return nil, fmt.Errorf("template %s signer_roles: %w", r.t.TemplateID, err)
		}
		raws = append(raws, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	var out []content.LiveTemplate
	for _, r := range raws {
		if !r.active {
			continue
		}
		slices.SortFunc(r.refs, func(a, b clauseRef) int { return a.Order - b.Order })
		for _, ref := range r.refs {
			var c content.LiveClause
			err := q.QueryRow(ctx, `
				select clause_id, name, version, city_gate, role_gate, body_markdown, variables_json
				from doc_clause where clause_id = $1`, ref.ClauseID).
				Scan(&c.ClauseID, &c.Name, &c.Version, &c.CityGate, &c.RoleGate, &c.Body, &c.Variables)
			if err != nil {
				return nil, fmt.Errorf("template %s clause %s: %w", r.t.TemplateID, ref.ClauseID, err)
			}
			r.t.Clauses = append(r.t.Clauses, c)
		}
		out = append(out, r.t)
	}
	return out, nil
}

// TemplateVersion returns one template version's name and layout.
func TemplateVersion(ctx context.Context, q Querier, templateID string) (name string, layout content.Layout, err error) {
	var raw []byte
	if err = q.QueryRow(ctx, `select name, layout_json from doc_template where template_id = $1`, templateID).Scan(&name, &raw); err != nil {
		return "", layout, fmt.Errorf("template %s: %w", templateID, err)
	}
	if err = json.Unmarshal(raw, &layout); err != nil {
		return "", layout, fmt.Errorf("template %s layout: %w", templateID, err)
	}
	return name, layout, nil
}

// ClausesByID returns clause versions in the order of ids.
func ClausesByID(ctx context.Context, q Querier, ids []string) ([]content.LiveClause, error) {
	out := make([]content.LiveClause, 0, len(ids))
	for _, id := range ids {
		var c content.LiveClause
		err := q.QueryRow(ctx, `
			select clause_id, name, version, city_gate, role_gate, body_markdown, variables_json
			from doc_clause where clause_id = $1`, id).
			Scan(&c.ClauseID, &c.Name, &c.Version, &c.CityGate, &c.RoleGate, &c.Body, &c.Variables)
		if err != nil {
			return nil, fmt.Errorf("clause %s: %w", id, err)
		}
		out = append(out, c)
	}
	return out, nil
}
