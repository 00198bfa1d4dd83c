// Package content is the clause library and the document templates, authored as files
// in this folder and embedded in the binaries: clauses as Markdown with a YAML front
// matter (name, gates, the JSON Schema of their variables), templates as YAML (ordered
// clause names, layout, signer roles, gates). `pipelinectl content publish` validates
// them and writes doc_clause / doc_template versions (store.PublishContentTx).
//
// Gates: a template applies to a leg when its role_gate shares a role with the leg (or
// is absent) and its city_gate lists the leg's city (or is absent); within a template,
// each clause is gated the same way, which is how city-specific variants (a New York
// clause, a Los Angeles clause) join a pack only for the legs they concern.
package content

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// FS is the content shipped with this build.
//
//go:embed clauses/*.md templates/*.yaml
var FS embed.FS

// Roles a gate may name, and signer roles a template may ask for.
var (
	LegRoles    = []string{"model", "photographer", "studio"}
	SignerRoles = []string{"buyer", "talent", "studio_owner", "witness"}
)

// Clause is one clause file.
type Clause struct {
	Slug      string          // file name without extension; part of clause ids
	Name      string          // unique; versions are per name
	CityGate  []string        // nil: any city
	RoleGate  []string        // nil: any role
	Body      string          // Markdown with {{variable}} placeholders
	Variables json.RawMessage // JSON Schema of the variables, canonical JSON
}

// Template is one template file.
type Template struct {
	Slug        string
	Name        string
	CityGate    []string
	RoleGate    []string
	Clauses     []string // clause names, in order
	Layout      Layout
	SignerRoles []SignerRole
	Active      bool
}

// Layout is how a template's documents look.
type Layout struct {
	Header          string   `json:"header" yaml:"header"`
	Footer          string   `json:"footer" yaml:"footer"`
	Logo            string   `json:"logo" yaml:"logo"`
	PageBreakBefore []string `json:"page_break_before" yaml:"page_break_before"`
}

// SignerRole is one signature a template's documents need.
type SignerRole struct {
	Role     string `json:"role" yaml:"role"`
	Optional bool   `json:"optional,omitempty" yaml:"optional"`
}

// Library is the whole content, validated.
type Library struct {
	Clauses   []Clause
	Templates []Template
}

// Clause returns the clause with this name.
func (l *Library) Clause(name string) (Clause, bool) {
	for _, c := range l.Clauses {
		if c.Name == name {
			return c, true
		}
	}
	return Clause{}, false
}

var (
	placeholder = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)
	cityCode    = regexp.MustCompile(`^[A-Z]{2,5}$`)
	slugRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// Placeholders returns the variable names a body uses, sorted, once each.
func Placeholders(body string) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// Load reads and validates clauses/*.md and templates/*.yaml from fsys. Every problem
// found is reported, each prefixed with its file.
func Load(fsys fs.FS) (*Library, error) {
	lib := &Library{}
	var errs []error
	files, _ := fs.Glob(fsys, "clauses/*.md")
	for _, f := range files {
		c, err := loadClause(fsys, f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		if _, dup := lib.Clause(c.Name); dup {
			errs = append(errs, fmt.Errorf("%s: clause name %q used twice", f, c.Name))
			continue
		}
		lib.Clauses = append(lib.Clauses, c)
	}
	files, _ = fs.Glob(fsys, "templates/*.yaml")
	names := map[string]bool{}
	for _, f := range files {
		t, err := loadTemplate(fsys, f, lib)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		if names[t.Name] {
			errs = append(errs, fmt.Errorf("%s: template name %q used twice", f, t.Name))
			continue
		}
		names[t.Name] = true
		lib.Templates = append(lib.Templates, t)
	}
	if len(lib.Clauses) == 0 || len(lib.Templates) == 0 {
		errs = append(errs, errors.New("no clauses or no templates found (want clauses/*.md and templates/*.yaml)"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lib, nil
}

type clauseFront struct {
	Name      string         `yaml:"name"`
	CityGate  []string       `yaml:"city_gate"`
	RoleGate  []string       `yaml:"role_gate"`
	Variables map[string]any `yaml:"variables"`
}

func loadClause(fsys fs.FS, f string) (Clause, error) {
	raw, err := fs.ReadFile(fsys, f)
	if err != nil {
		return Clause{}, err
	}
	front, body, err := splitFrontMatter(raw)
	if err != nil {
		return Clause{}, err
	}
	var fm clauseFront
	if err := yaml.Unmarshal(front, &fm); err != nil {
		return Clause{}, fmt.Errorf("front matter: %w", err)
	}
	c := Clause{
		Slug: strings.TrimSuffix(path.Base(f), ".md"), Name: strings.TrimSpace(fm.Name),
		CityGate: fm.CityGate, RoleGate: fm.RoleGate, Body: strings.TrimSpace(string(body)) + "\n",
	}
	if err := checkCommon(c.Slug, c.Name, c.CityGate, c.RoleGate); err != nil {
		return c, err
	}
	if fm.Variables == nil {
		return c, errors.New("front matter has no variables schema")
	}
	if c.Variables, err = json.Marshal(fm.Variables); err != nil { // sorted keys: canonical
		return c, fmt.Errorf("variables: %w", err)
	}
	if _, err := compile(c.Variables); err != nil {
		return c, fmt.Errorf("variables schema: %w", err)
	}
	props, _ := fm.Variables["properties"].(map[string]any)
	for _, name := range Placeholders(c.Body) {
		if _, ok := props[name]; !ok {
			return c, fmt.Errorf("body uses {{%s}}, which the variables schema does not declare", name)
		}
	}
	return c, nil
}

type templateFile struct {
	Name        string       `yaml:"name"`
	CityGate    []string     `yaml:"city_gate"`
	RoleGate    []string     `yaml:"role_gate"`
	Clauses     []string     `yaml:"clauses"`
	Layout      Layout       `yaml:"layout"`
	SignerRoles []SignerRole `yaml:"signer_roles"`
	Active      *bool        `yaml:"active"`
}

func loadTemplate(fsys fs.FS, f string, lib *Library) (Template, error) {
	raw, err := fs.ReadFile(fsys, f)
	if err != nil {
		return Template{}, err
	}
	var tf templateFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true) // a misspelt key is an error, not a silently ignored setting
	if err := dec.Decode(&tf); err != nil {
		return Template{}, err
	}
	t := Template{
		Slug: strings.TrimSuffix(path.Base(f), ".yaml"), Name: strings.TrimSpace(tf.Name),
		CityGate: tf.CityGate, RoleGate: tf.RoleGate, Clauses: tf.Clauses, Layout: tf.Layout,
		SignerRoles: tf.SignerRoles, Active: tf.Active == nil || *tf.Active,
	}
	if t.Layout.PageBreakBefore == nil {
		t.Layout.PageBreakBefore = []string{}
	}
	if err := checkCommon(t.Slug, t.Name, t.CityGate, t.RoleGate); err != nil {
		return t, err
	}
	if len(t.Clauses) == 0 {
		return t, errors.New("no clauses")
	}
	for _, name := range t.Clauses {
		if _, ok := lib.Clause(name); !ok {
			return t, fmt.Errorf("clause %q is not in the library", name)
		}
	}
	for _, name := range t.Layout.PageBreakBefore {
		if !slices.Contains(t.Clauses, name) {
			return t, fmt.Errorf("page_break_before names %q, which is not one of the template's clauses", name)
		}
	}
	if len(t.SignerRoles) == 0 {
		return t, errors.New("no signer_roles")
	}
	for _, s := range t.SignerRoles {
		if !slices.Contains(SignerRoles, s.Role) {
			return t, fmt.Errorf("signer role %q: want one of %v", s.Role, SignerRoles)
		}
	}
	return t, nil
}

func checkCommon(slug, name string, cityGate, roleGate []string) error {
	if !slugRe.MatchString(slug) {
		return fmt.Errorf("file name %q: want lowercase letters, digits and dashes", slug)
	}
	if name == "" {
		return errors.New("no name")
	}
	for _, c := range cityGate {
		if !cityCode.MatchString(c) {
			return fmt.Errorf("city_gate %q: want a city code like NYC", c)
		}
	}
	for _, r := range roleGate {
		if !slices.Contains(LegRoles, r) {
			return fmt.Errorf("role_gate %q: want one of %v", r, LegRoles)
		}
	}
	return nil
}

func splitFrontMatter(raw []byte) (front, body []byte, err error) {
	s := string(raw)
	if !strings.HasPrefix(s, "---\n") {
		return nil, nil, errors.New("no front matter: the file must start with a --- line")
	}
	end := strings.Index(s[4:], "\n---\n")
	if end < 0 {
		return nil, nil, errors.New("front matter is not closed by a --- line")
	}
	return []byte(s[4 : 4+end]), []byte(s[4+end+5:]), nil
}

func compile(schema json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("variables.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("variables.json")
}

// compiledSchemas caches compiled variable schemas by their text: every pack validates
// against the same few clause versions, and compiling is the expensive part.
var compiledSchemas sync.Map // string(schema) -> *jsonschema.Schema

// ValidateVariables checks values against a clause's variables schema.
func ValidateVariables(c Clause, values map[string]string) error {
	var sch *jsonschema.Schema
	if v, ok := compiledSchemas.Load(string(c.Variables)); ok {
		sch = v.(*jsonschema.Schema)
	} else {
		var err error
		if sch, err = compile(c.Variables); err != nil {
			return err
		}
		compiledSchemas.Store(string(c.Variables), sch)
	}
	inst := make(map[string]any, len(values))
	for k, v := range values {
		inst[k] = v
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("clause %q: %s", c.Name, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return nil
}

// Matches reports whether a gate admits a value: a nil gate admits everything.
func Matches(gate []string, values ...string) bool {
	if gate == nil {
		return true
	}
	for _, v := range values {
		if slices.Contains(gate, v) {
			return true
		}
	}
	return false
}

// LiveTemplate is the latest published, active version of a template, with the clauses
// it pins, as a pack is built from it.
type LiveTemplate struct {
	TemplateID  string
	Name        string
	Version     int
	CityGate    []string
	RoleGate    []string
	Layout      Layout
	SignerRoles []SignerRole
	Clauses     []LiveClause
}

// LiveClause is one pinned clause version.
type LiveClause struct {
	ClauseID  string
	Name      string
	Version   int
	CityGate  []string
	RoleGate  []string
	Body      string
	Variables json.RawMessage
}
