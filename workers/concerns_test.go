package workers

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/webhook"
)

// concernSamples holds, for every job kind of the package, args with every id they can
// carry filled in. A kind added without a sample here, or whose Concerns leaves out an id
// its args carry, fails TestJobKindsDeclareWhatTheyConcern: its jobs would be invisible
// to `pipelinectl trace`, which finds jobs by their metadata.
var concernSamples = []river.JobArgs{
	PublishEventArgs{Event: events.Envelope{ID: "evt_out_1", Type: events.TrustUpdated,
		Data: json.RawMessage(`{"pack_id":"dpk_1","user_id":"usr_1"}`)}},
	RecordRiskEventArgs{EventID: "evt_1", Signal: "disputes_opened", UserIDs: []string{"usr_1", "usr_2"}, BookingID: "bkg_1", LegID: "leg_1"},
	BuildDocPackArgs{Event: events.Envelope{ID: "evt_chk_1", Type: events.CheckoutCompleted, Data: json.RawMessage(`{"leg_id":"leg_1"}`)}},
	RenderDocumentArgs{DocID: "doc_1"},
	SendEnvelopeArgs{DocID: "doc_1"},
	EndDocPackArgs{Event: events.Envelope{ID: "evt_chk_2", Type: events.CheckoutCancelled, Data: json.RawMessage(`{"leg_id":"leg_1"}`)}},
	HandleWebhookArgs{Event: events.Envelope{ID: "whk_1", Type: events.WebhookReceived, Data: json.RawMessage(`{"provider":"docusign"}`)}},
	ApplyIdentityArgs{EventID: "whk_2", Provider: "persona", Update: webhook.IdentityUpdate{UserID: "usr_1", ProviderRef: "inq_1"}},
	RegisterBackgroundCheckArgs{EventID: "evt_bg_1", Request: events.BackgroundCheckRequest{UserID: "usr_1", Provider: "checkr", CandidateID: "cand_1"}},
	ApplyBackgroundCheckArgs{EventID: "whk_3", Update: webhook.BackgroundUpdate{Provider: "checkr", CandidateID: "cand_1", ReportID: "rep_1"}},
	ApplySocialCheckArgs{EventID: "evt_soc_1", Check: events.SocialCheck{UserID: "usr_1", Platform: "instagram"}},
	RecomputeRiskArgs{UserID: "usr_1", Start: "2026-09-01", End: "2026-10-01"},
	RollRiskWindowsArgs{},
	PruneOperationalTablesArgs{},
	RefreshTrustCacheArgs{UserID: "usr_1", At: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	StoreExecutedCopyArgs{DocID: "doc_1"},
	AnchorEvidenceArgs{DocID: "doc_1"},
	VerifyAgeArgs{EventID: "whk_4", UserID: "usr_1", Provider: "stripe_identity", ProviderRef: "vs_1", At: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
}

// jobKindTypes parses the package's non-test files and returns the types that have a
// `Kind() string` method: its job kinds' args.
func jobKindTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "Kind" || fn.Type.Params.NumFields() != 0 || fn.Type.Results.NumFields() != 1 {
				continue
			}
			if res, ok := fn.Type.Results.List[0].Type.(*ast.Ident); !ok || res.Name != "string" {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				out = append(out, id.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestJobKindsDeclareWhatTheyConcern(t *testing.T) {
	t.Parallel()
	samples := map[string]river.JobArgs{}
	for _, s := range concernSamples {
		samples[reflect.TypeOf(s).Name()] = s
	}
	kindTypes := jobKindTypes(t)
	require.NotEmpty(t, kindTypes)
	for _, typ := range kindTypes {
		_, ok := samples[typ]
		require.True(t, ok, "job args %s have no sample in concernSamples: add one with every id it carries", typ)
	}
	for typ := range samples {
		require.Contains(t, kindTypes, typ, "concernSamples has %s, which is no job kind of this package", typ)
	}

	for typ, s := range samples {
		t.Run(s.Kind(), func(t *testing.T) {
			c, ok := s.(jobmeta.Concerning)
			require.True(t, ok, "%s does not implement jobmeta.Concerning", typ)
			m := c.Concerns()
			if g, ok := s.(jobmeta.Global); ok && g.Global() {
				require.True(t, m.Empty(), "%s is Global and names ids", typ)
			} else {
				require.False(t, m.Empty(), "%s names no id and is not Global", typ)
			}
			ids := carriedIDs(t, reflect.ValueOf(s), typ)
			for field, values := range ids {
				for _, v := range values {
					require.NotEmpty(t, v, "the sample of %s leaves %s empty: fill it in", typ, field)
				}
			}
			require.Equal(t, expectedMeta(ids), withoutUnrequired(m, ids), "%s: Concerns must name every id its args carry", typ)

			// The hook writes exactly that into the metadata.
			p := &rivertype.JobInsertParams{Args: s, Kind: s.Kind(), Metadata: []byte(`{}`)}
			require.NoError(t, (&jobmeta.Hook{}).InsertBegin(context.Background(), p))
			require.Equal(t, m, jobmeta.Of(p.Metadata))
		})
	}
}

// idFields maps the JSON names of id fields to the Meta field that must carry them.
var idFields = map[string]string{
	"event_id": "EventID", "leg_id": "LegID", "pack_id": "PackID", "doc_id": "DocID",
	"user_id": "UserIDs", "user_ids": "UserIDs", "candidate_id": "CandidateID",
}

// carriedIDs walks args (structs, their JSON names, and an event envelope's id and the
// top level of its data) and returns the ids they carry, by Meta field.
func carriedIDs(t *testing.T, v reflect.Value, path string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(field string, values ...string) { out[field] = append(out[field], values...) }
	if env, ok := v.Interface().(events.Envelope); ok {
		add("EventID", env.ID)
		var data map[string]json.RawMessage
		if json.Unmarshal(env.Data, &data) == nil {
			for name, raw := range data {
				var s string
				if field, ok := idFields[name]; ok && json.Unmarshal(raw, &s) == nil {
					add(field, s)
				}
			}
		}
		return out
	}
	if v.Kind() != reflect.Struct {
		return out
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fv := v.Field(i)
		if field, ok := idFields[name]; ok {
			switch x := fv.Interface().(type) {
			case string:
				add(field, x)
			case []string:
				require.NotEmpty(t, x, "the sample of %s leaves %s empty: fill it in", path, f.Name)
				add(field, x...)
			}
			continue
		}
		for field, values := range carriedIDs(t, fv, path+"."+f.Name) {
			add(field, values...)
		}
	}
	return out
}

// expectedMeta is the Meta that names ids.
func expectedMeta(ids map[string][]string) jobmeta.Meta {
	one := func(field string) string {
		if len(ids[field]) > 0 {
			return ids[field][0]
		}
		return ""
	}
	return jobmeta.Meta{EventID: one("EventID"), LegID: one("LegID"), PackID: one("PackID"), DocID: one("DocID"),
		UserIDs: ids["UserIDs"], CandidateID: one("CandidateID")}
}

// withoutUnrequired is m keeping only the fields the args carry an id for: a kind may name
// more than its args carry (a pack id it derives), never less.
func withoutUnrequired(m jobmeta.Meta, ids map[string][]string) jobmeta.Meta {
	keep := func(field, v string) string {
		if len(ids[field]) == 0 {
			return ""
		}
		return v
	}
	out := jobmeta.Meta{EventID: keep("EventID", m.EventID), LegID: keep("LegID", m.LegID), PackID: keep("PackID", m.PackID),
		DocID: keep("DocID", m.DocID), CandidateID: keep("CandidateID", m.CandidateID)}
	if len(ids["UserIDs"]) > 0 {
		out.UserIDs = m.UserIDs
	}
	return out
}

// Job args are stored as JSON in river_job and read back by later builds and by
// operators (`jobs list --json`, SQL): every field, at any depth, has an explicit
// snake_case name. tagliatelle checks the tags that exist; this checks none is missing
// (an untagged struct once stored {"UserID": …} where readers looked for user_id).
func TestJobArgsHaveSnakeCaseJSONNames(t *testing.T) {
	t.Parallel()
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	seen := map[reflect.Type]bool{}
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map || typ.Kind() == reflect.Array {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() == "time" {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				walk(path, f.Type)
				continue
			}
			if name == "-" {
				continue
			}
			require.Regexp(t, snake, name, "%s.%s (%s) needs a snake_case json tag", path, f.Name, typ)
			walk(path+"."+name, f.Type)
		}
	}
	for _, a := range concernSamples {
		walk(a.Kind(), reflect.TypeOf(a))
	}
}
