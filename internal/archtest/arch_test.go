package archtest

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sqlAllowed are the module's top-level directories whose Go files may hold SQL.
var sqlAllowed = map[string]string{
	"store":      "the data layer",
	"migrations": "the schema",
	"testkit":    "test fixtures",
	"infra":      "its readiness probe",
}

// sqlShapes match a string literal, trimmed, that is a SQL statement. Each captures the
// table (or CTE) it names as "table"; a match whose table is an English word (see
// notTable) is prose, not SQL: "delete from the DLQ failed" is a log message.
var sqlShapes = []struct {
	name string
	re   *regexp.Regexp
}{
	{"SELECT ... FROM", regexp.MustCompile(`(?is)^select\s.*?\bfrom\s+(?P<table>` + ident + `)`)},
	{"SELECT f(...) / SELECT 1", regexp.MustCompile(`(?is)^select\s+(?:\d+\s*(?:;|,|$|as\s)|[a-z_][\w.]*\()`)},
	{"INSERT INTO", regexp.MustCompile(`(?is)^insert\s+into\s+(?P<table>` + ident + `)\s*(?:\(|values\b|select\b|default\b|on\b|returning\b)`)},
	{"UPDATE ... SET", regexp.MustCompile(`(?is)^update\s+(?:only\s+)?(?P<table>` + ident + `)(?:\s+(?:as\s+)?[a-z_]\w*)?\s+set\s+"?[a-z_][\w"]*\s*=`)},
	{"DELETE FROM", regexp.MustCompile(`(?is)^delete\s+from\s+(?:only\s+)?(?P<table>` + ident + `)(?:\s+(?:as\s+)?[a-z_]\w*)?\s*(?:;|$|where\b|using\b|returning\b)`)},
	{"WITH ... AS (", regexp.MustCompile(`(?is)^with\s+(?:recursive\s+)?(?P<table>[a-z_]\w*)\s*(?:\([^()]*\)\s*)?as\s+(?:(?:not\s+)?materialized\s+)?\(`)},
	{"CREATE/ALTER/DROP TABLE", regexp.MustCompile(`(?is)^(?:create|alter|drop)\s+(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+(?:not\s+)?exists\s+)?(?:only\s+)?(?P<table>` + ident + `)`)},
	{"... FROM table WHERE", regexp.MustCompile(`(?is)\sfrom\s+(?P<table>` + ident + `)(?:\s+(?:as\s+)?[a-z_]\w*)?\s+where\s`)},
}

// ident is a table name as a query spells it: plain, schema-qualified, quoted, or a
// fmt verb the name is put in with.
const ident = `(?:"[^"]+"|[a-z_][\w$]*(?:\.[a-z_][\w$]*)?|%[sv])`

// notTable are words that follow FROM in prose, never as a table.
var notTable = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the this that these those each every either any some all no one
		its it their them his her your our my which what where here there now then`) {
		notTable[w] = true
	}
}

// looksLikeSQL reports the shape s has, if it is a SQL statement.
func looksLikeSQL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, shape := range sqlShapes {
		m := shape.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if i := shape.re.SubexpIndex("table"); i > 0 && notTable[strings.ToLower(m[i])] {
			continue
		}
		return shape.name, true
	}
	return "", false
}

func TestLooksLikeSQL(t *testing.T) {
	sql := []string{
		"SELECT 1",
		"select now()",
		"SELECT pg_advisory_lock($1)",
		"\n\t\tSELECT id, name\n\t\tFROM booking_leg\n\t\tWHERE id = $1",
		`SELECT EXISTS (SELECT 1 FROM trust_state WHERE user_id = $1)`,
		"SELECT count(*) FROM public.doc_pack",
		"INSERT INTO webhook_inbox (id, provider) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		"insert into ops_audit select * from x",
		"UPDATE doc_pack SET status = $2 WHERE id = $1",
		"update doc_pack p set status = 'voided' from leg l where l.id = p.leg_id",
		"DELETE FROM message_failure WHERE message_id = $1",
		"delete from river_job",
		"WITH latest AS (SELECT 1) SELECT * FROM latest",
		"with recursive chain(id) as (select 1) select id from chain",
		"CREATE TABLE IF NOT EXISTS trust_cache (id text)",
		"ALTER TABLE doc_pack ADD COLUMN x int",
		"drop table if exists x",
		"select to_regclass('public.river_job') is not null and to_regclass('public.doc_pack') is not null",
		"SELECT 1, 2",
		"RETURNING id FROM doc WHERE id = $1",
		"SELECT id FROM %s WHERE id = $1",
	}
	prose := []string{
		"delete from the DLQ failed; the message stays there",
		"delete after commit failed; redelivery will be a no-op",
		"insert jobs: %w",
		"insert render jobs: %w",
		"insert %s: metadata: %w",
		"delete orphaned item %s: %w",
		"risk ledger: %s for %s from event %s (occurred %s)",
		"%s %s accepted from %s via %s (message %s, occurred %s)",
		"select the template from the list",
		"select a signer",
		"select 2 of the signers",
		"select one (the first)",
		"drop the table",
		"update the set of signers",
		"Update the cache",
		"with --kind: which states",
		"with roles %v: %w",
		"create table",
		"Create or converge topics, queues with DLQs, subscriptions, the docs bucket and the trust_cache table",
		"reconcile rebuilds each user's trust_cache item from PostgreSQL (the source of truth)",
		"the payment comes from the Buyer where the SOW says so",
		"publish from this folder (with clauses/ and templates/) instead of the built-in content",
	}
	for _, s := range sql {
		if _, ok := looksLikeSQL(s); !ok {
			t.Errorf("not recognised as SQL: %q", s)
		}
	}
	for _, s := range prose {
		if shape, ok := looksLikeSQL(s); ok {
			t.Errorf("prose taken for SQL (%s): %q", shape, s)
		}
	}
}

// TestNoSQLOutsideStore: every query lives in store/, so the schema has one owner and
// one place to change; other packages call store's functions.
func TestNoSQLOutsideStore(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var hits []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path == root {
				return nil
			}
			name := d.Name()
			// What the go command ignores, other modules, and where SQL belongs.
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
				return filepath.SkipDir
			}
			if _, ok := sqlAllowed[rel]; ok {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok {
				return true
			}
			// A literal, or a concatenation of literals ("SELECT ... " + "FROM ..."),
			// checked whole; if the whole is not SQL its parts are checked.
			s, ok := constString(e)
			if !ok {
				return true
			}
			if shape, ok := looksLikeSQL(s); ok {
				hits = append(hits, fmt.Sprintf("%s:%d: %s: %s", rel, fset.Position(e.Pos()).Line, shape, snippet(s)))
				return false
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	if len(hits) > 0 {
		t.Errorf("SQL outside store/ (allowed only in store/, migrations/, testkit/, infra/ and _test.go files; "+
			"move the query into a store function):\n\t%s", strings.Join(hits, "\n\t"))
	}
}

// constString is the value of a string literal or of a concatenation of them.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return constString(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, ok := constString(e.X)
		if !ok {
			return "", false
		}
		r, ok := constString(e.Y)
		return l + r, ok
	}
	return "", false
}

func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

// TestStoreHasNoS3OrDynamoDB: store/ is the PostgreSQL layer. Documents in S3 belong to
// docstore/, the trust cache in DynamoDB to trustcache/.
func TestStoreHasNoS3OrDynamoDB(t *testing.T) {
	forbidDeps(t, []string{"./store/"}, []string{
		"github.com/aws/aws-sdk-go-v2/service/s3",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb",
	}, "store/ is the PostgreSQL layer: S3 belongs in docstore/, DynamoDB in trustcache/")
}

// TestDomainDoesNotDependOnStore: trust/ and docpack/ decide from values they are given;
// workers/ loads them from store/ and saves the result.
func TestDomainDoesNotDependOnStore(t *testing.T) {
	root := moduleRoot(t)
	mod := strings.TrimSpace(goCmd(t, root, "list", "-m"))
	forbidDeps(t, []string{"./trust/", "./docpack/"}, []string{mod + "/store"},
		"trust/ and docpack/ are pure domain packages: take values as arguments and let the caller (workers/) use store/")
}

// forbidDeps fails if any package in `go list -deps roots...` is, or is under, one of
// forbidden. It names each package that imports a forbidden one and how a root reaches it.
func forbidDeps(t *testing.T, roots, forbidden []string, why string) {
	t.Helper()
	root := moduleRoot(t)
	out := goCmd(t, root, append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.DepOnly}}{{range .Imports}} {{.}}{{end}}"}, roots...)...)
	isForbidden := func(p string) bool {
		for _, f := range forbidden {
			if p == f || strings.HasPrefix(p, f+"/") {
				return true
			}
		}
		return false
	}
	imports := map[string][]string{}
	var queue []string
	for line := range strings.Lines(out) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		imports[fields[0]] = fields[2:]
		if fields[1] == "false" { // one of roots
			queue = append(queue, fields[0])
		}
	}
	// Breadth first from the roots: parent gives each package's shortest import chain.
	parent := map[string]string{}
	for _, p := range queue {
		parent[p] = ""
	}
	var offences []string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range imports[p] {
			if isForbidden(imp) {
				if !isForbidden(p) {
					offences = append(offences, chain(parent, p)+" imports "+imp)
				}
				continue
			}
			if _, seen := parent[imp]; !seen {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	if len(offences) > 0 {
		sort.Strings(offences)
		t.Errorf("%s; go list -deps %s reaches %s:\n\t%s", why, strings.Join(roots, " "),
			strings.Join(forbidden, ", "), strings.Join(offences, "\n\t"))
	}
}

// chain is p's import path from a root: "root -> ... -> p".
func chain(parent map[string]string, p string) string {
	c := []string{p}
	for parent[p] != "" {
		p = parent[p]
		c = append([]string{p}, c...)
	}
	return strings.Join(c, " -> ")
}

// moduleRoot is the directory of the module's go.mod (the test runs in its package's
// directory).
func moduleRoot(t *testing.T) string {
	t.Helper()
	gomod := strings.TrimSpace(goCmd(t, "", "env", "GOMOD"))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD = %q: not inside the module", gomod)
	}
	return filepath.Dir(gomod)
}

func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
