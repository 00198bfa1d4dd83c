package content_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"trustdocs/content"
)

func TestShippedContentIsValidAndRealistic(t *testing.T) {
	t.Parallel()
	lib, err := content.Load(content.FS)
	require.NoError(t, err)
	names := map[string]bool{}
	cityGated := 0
	for _, c := range lib.Clauses {
		names[c.Name] = true
		if c.CityGate != nil {
			cityGated++
		}
		require.NotEmpty(t, content.Placeholders(c.Body), "%s fills variables", c.Name)
	}
	for _, want := range []string{"SOW: Base Terms", "Model Release: Adult", "House Rules: Standard"} {
		require.True(t, names[want], want)
	}
	require.GreaterOrEqual(t, cityGated, 2, "at least two city-gated variants")
	var tpls []string
	for _, tp := range lib.Templates {
		tpls = append(tpls, tp.Name)
	}
	require.ElementsMatch(t, []string{"Talent SOW", "Studio House Rules"}, tpls)
}

func TestVariablesAreValidatedAgainstTheClauseSchema(t *testing.T) {
	t.Parallel()
	lib, err := content.Load(content.FS)
	require.NoError(t, err)
	release, ok := lib.Clause("Model Release: Adult")
	require.True(t, ok)
	good := map[string]string{"talent_name": "Jordan Lee", "buyer_name": "Acme", "usage_rights": "Editorial", "date_of_majority_confirmed": "yes"}
	require.NoError(t, content.ValidateVariables(release, good))

	missing := map[string]string{"talent_name": "Jordan Lee", "buyer_name": "Acme", "usage_rights": "Editorial"}
	require.ErrorContains(t, content.ValidateVariables(release, missing), "date_of_majority_confirmed")
	minor := map[string]string{"talent_name": "Jordan Lee", "buyer_name": "Acme", "usage_rights": "Editorial", "date_of_majority_confirmed": "no"}
	require.Error(t, content.ValidateVariables(release, minor), "an adult release needs confirmed majority")
}

func TestGates(t *testing.T) {
	t.Parallel()
	require.True(t, content.Matches(nil, "NYC"), "no gate: global")
	require.True(t, content.Matches([]string{"NYC"}, "NYC"))
	require.False(t, content.Matches([]string{"NYC"}, "LA"))
	require.True(t, content.Matches([]string{"model", "studio"}, "photographer", "studio"), "shares one role")
	require.False(t, content.Matches([]string{"studio"}, "model", "photographer"))
}

func TestInvalidContentIsRefusedWithItsFile(t *testing.T) {
	t.Parallel()
	clause := func(front, body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("---\n" + front + "\n---\n" + body)}
	}
	okVars := "variables: {type: object, properties: {name: {type: string}}}"
	okTemplate := &fstest.MapFile{Data: []byte("name: T\nclauses: [\"C\"]\nsigner_roles: [{role: buyer}]\n")}
	cases := map[string]struct {
		files fstest.MapFS
		want  string
	}{
		"undeclared placeholder": {fstest.MapFS{
			"clauses/c.md": clause("name: C\n"+okVars, "Hello {{name}} and {{other}}"), "templates/t.yaml": okTemplate,
		}, "clauses/c.md: body uses {{other}}"},
		"bad schema": {fstest.MapFS{
			"clauses/c.md": clause("name: C\nvariables: {type: 12}", "x"), "templates/t.yaml": okTemplate,
		}, "clauses/c.md: variables schema"},
		"no front matter": {fstest.MapFS{
			"clauses/c.md": {Data: []byte("just text")}, "templates/t.yaml": okTemplate,
		}, "no front matter"},
		"bad role gate": {fstest.MapFS{
			"clauses/c.md": clause("name: C\nrole_gate: [astronaut]\n"+okVars, "x"), "templates/t.yaml": okTemplate,
		}, "role_gate \"astronaut\""},
		"unknown clause": {fstest.MapFS{
			"clauses/c.md":     clause("name: C\n"+okVars, "x"),
			"templates/t.yaml": {Data: []byte("name: T\nclauses: [\"Nope\"]\nsigner_roles: [{role: buyer}]\n")},
		}, "templates/t.yaml: clause \"Nope\" is not in the library"},
		"misspelt key": {fstest.MapFS{
			"clauses/c.md":     clause("name: C\n"+okVars, "x"),
			"templates/t.yaml": {Data: []byte("name: T\nclauses: [\"C\"]\nsigner_role: [{role: buyer}]\n")},
		}, "signer_role"},
		"bad signer": {fstest.MapFS{
			"clauses/c.md":     clause("name: C\n"+okVars, "x"),
			"templates/t.yaml": {Data: []byte("name: T\nclauses: [\"C\"]\nsigner_roles: [{role: king}]\n")},
		}, "signer role \"king\""},
	}
	for name, c := range cases {
		_, err := content.Load(fs.FS(c.files))
		require.Error(t, err, name)
		require.True(t, strings.Contains(err.Error(), c.want), "%s: %v", name, err)
	}
}
