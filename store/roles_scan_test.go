package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// migrationTime are the files whose statements run as an administrator or the owner
// (migrate), never as the runtime role.
var migrationTime = map[string]bool{"roles.go": true, "migrate.go": true}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	insertRe   = regexp.MustCompile(`\binsert\s+into\s+([a-z_]\w*)`)
	upsertRe   = regexp.MustCompile(`\bon\s+conflict\b[^;]*?\bdo\s+update\b`)
	updateRe   = regexp.MustCompile(`\bupdate\s+(?:only\s+)?([a-z_]\w*)(?:\s+(?:as\s+)?[a-z_]\w*)?\s+set\b`)
	deleteRe   = regexp.MustCompile(`\bdelete\s+from\s+(?:only\s+)?([a-z_]\w*)`)
	truncRe    = regexp.MustCompile(`\btruncate\s+(?:table\s+)?(?:only\s+)?([a-z_]\w*)`)
	readRe     = regexp.MustCompile(`\b(?:from|join)\s+(?:only\s+)?([a-z_]\w*)`)
	lockRe     = regexp.MustCompile(`\bfor\s+(?:no\s+key\s+update|update|share|key\s+share)(?:\s+of\s+([a-z_]\w*))?`)
)

// storeUsage reads every SQL literal of store/ that the runtime role runs and returns,
// per table, the privileges its statements need and where: SELECT for a table read
// (FROM, JOIN, a DELETE's WHERE), INSERT, UPDATE for an UPDATE or an upsert's DO
// UPDATE, DELETE, TRUNCATE, and UPDATE for a row lock (SELECT ... FOR UPDATE or FOR
// SHARE: PostgreSQL asks for UPDATE on the locked table).
func storeUsage(t *testing.T, tables map[string]bool) map[string]map[string][]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	use := map[string]map[string][]string{}
	add := func(table, priv, where string) {
		if !tables[table] {
			return // a CTE, an alias, a function: not a table
		}
		if use[table] == nil {
			use[table] = map[string][]string{}
		}
		use[table][priv] = append(use[table][priv], where)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || migrationTime[f] {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			where := fmt.Sprintf("%s:%d", f, fset.Position(lit.Pos()).Line)
			scanStatement(s, func(table, priv string) { add(table, priv, where) })
			return true
		})
	}
	return use
}

// scanStatement calls add for each (table, privilege) a SQL text needs.
func scanStatement(sql string, add func(table, priv string)) {
	s := sqlComment.ReplaceAllString(strings.ToLower(sql), "")
	for _, m := range readRe.FindAllStringSubmatch(s, -1) {
		add(m[1], PrivSelect)
	}
	for _, m := range insertRe.FindAllStringSubmatch(s, -1) {
		add(m[1], PrivInsert)
		if upsertRe.MatchString(s) {
			add(m[1], PrivUpdate)
		}
	}
	for _, m := range updateRe.FindAllStringSubmatch(s, -1) {
		add(m[1], PrivUpdate)
	}
	for _, m := range deleteRe.FindAllStringSubmatch(s, -1) {
		add(m[1], PrivDelete)
	}
	for _, m := range truncRe.FindAllStringSubmatch(s, -1) {
		add(m[1], "truncate")
	}
	for _, loc := range lockRe.FindAllStringSubmatchIndex(s, -1) {
		before := s[:loc[0]]
		if loc[2] >= 0 { // FOR UPDATE OF alias: the table the alias names
			alias := s[loc[2]:loc[3]]
			re := regexp.MustCompile(`\b(?:from|join)\s+([a-z_]\w*)\s+(?:as\s+)?` + alias + `\b`)
			if m := re.FindAllStringSubmatch(before, -1); len(m) > 0 {
				add(m[len(m)-1][1], PrivUpdate)
			} else {
				add(alias, PrivUpdate) // FOR UPDATE OF a table by its name
			}
			continue
		}
		if m := readRe.FindAllStringSubmatch(before, -1); len(m) > 0 {
			add(m[len(m)-1][1], PrivUpdate) // the table of the SELECT the lock ends
		}
	}
}

// TestRuntimeGrantsAreWhatStoreUses: the runtime role gets exactly the privileges the
// statements it runs need on our tables, no more (a privilege nobody uses is taken
// away) and no less (a new statement that writes somewhere new fails here, not in
// production with "permission denied"). River's tables get what River needs, which
// covers what store/ reads of them.
func TestRuntimeGrantsAreWhatStoreUses(t *testing.T) {
	tables := map[string]bool{}
	for _, g := range RuntimeGrants {
		tables[g.Table] = true
	}
	use := storeUsage(t, tables)
	require.NotEmpty(t, use["doc_sign_event"][PrivInsert], "the scan finds the evidence insert (sign_events.go)")
	require.NotEmpty(t, use["inbox"][PrivUpdate], "the scan finds the prune's FOR UPDATE on inbox")
	require.NotEmpty(t, use["ops_action_item"][PrivUpdate], "the scan finds FOR UPDATE OF i (ops_action_item i)")

	for _, g := range RuntimeGrants {
		var needed []string
		for p := range use[g.Table] {
			needed = append(needed, p)
		}
		sort.Strings(needed)
		granted := slices.Clone(g.Privileges)
		sort.Strings(granted)
		if strings.HasPrefix(g.Table, "river_") {
			for _, p := range needed {
				require.Contains(t, granted, p, "%s: store/ needs %s (%v) beyond River's grant", g.Table, p, use[g.Table][p])
			}
			continue
		}
		require.Equal(t, needed, granted, "%s: the privileges store/ uses (%v) and RuntimeGrants differ", g.Table, use[g.Table])
	}
	require.NotContains(t, use["doc_sign_event"], PrivUpdate, "nothing updates evidence")
	require.NotContains(t, use["doc_sign_event"], PrivDelete, "nothing deletes evidence (the prune included)")
}

// TestScanStatementReadsEachShape: the scan above, on each shape of statement store/
// writes.
func TestScanStatementReadsEachShape(t *testing.T) {
	scan := func(sql string) map[string][]string {
		got := map[string][]string{}
		scanStatement(sql, func(table, priv string) {
			if !slices.Contains(got[table], priv) {
				got[table] = append(got[table], priv)
			}
		})
		return got
	}
	require.Equal(t, map[string][]string{"a": {"select"}}, scan("select x from a -- delete from b"), "comments are not SQL")
	require.Equal(t, map[string][]string{"b": {"update"}}, scan("update b set x = 1"))
	require.Equal(t, map[string][]string{"c": {"update"}}, scan("UPDATE c AS z SET x = 1"))
	require.Equal(t, map[string][]string{"q": {"insert", "update"}}, scan("insert into q values (1) on conflict (k) do update set v = 2"))
	require.Equal(t, map[string][]string{"q": {"insert"}}, scan("insert into q values (1) on conflict do nothing"))
	require.Equal(t, map[string][]string{"d": {"select", "delete"}, "e": {"select", "update"}},
		scan("delete from d where ctid = any (array(select ctid from e where x order by x limit 2 for update skip locked))"))
	require.Equal(t, map[string][]string{"i": {"select", "delete", "update"}, "a": {"select"}},
		scan("delete from i where ctid = any (array(select i.ctid from i join a using (k) for update of i skip locked))"))
	require.Equal(t, map[string][]string{"item": {"select", "delete", "update"}, "a": {"select"}},
		scan("delete from item where ctid = any (array(select x.ctid from item x join a using (k) for update of x))"))
	require.Equal(t, map[string][]string{"p": {"select", "update"}}, scan("select status from p where id = $1 for update"))
	require.Equal(t, map[string][]string{"t": {"truncate"}}, scan("truncate t"))
}

// TestScramVerifierMatchesRFC7677: the verifier's keys, made from RFC 7677's example
// password and salt, verify the RFC's client proof and produce its server signature, so
// PostgreSQL will accept the password it was made from.
func TestScramVerifierMatchesRFC7677(t *testing.T) {
	salt, err := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	require.NoError(t, err)
	v, err := scramVerifierWith("pencil", salt, 4096)
	require.NoError(t, err)
	m := regexp.MustCompile(`^SCRAM-SHA-256\$4096:([^$]+)\$([^:]+):(.+)$`).FindStringSubmatch(v)
	require.NotNil(t, m, v)
	require.Equal(t, "W22ZaJ0SNY7soEsUEjb6gQ==", m[1])
	storedKey, err := base64.StdEncoding.DecodeString(m[2])
	require.NoError(t, err)
	serverKey, err := base64.StdEncoding.DecodeString(m[3])
	require.NoError(t, err)

	authMessage := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	mac := func(key []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(authMessage))
		return h.Sum(nil)
	}
	require.Equal(t, "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", base64.StdEncoding.EncodeToString(mac(serverKey)), "server signature")
	proof, err := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	require.NoError(t, err)
	clientSig := mac(storedKey)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	got := sha256.Sum256(clientKey)
	require.Equal(t, storedKey, got[:], "the client's proof verifies against the stored key")

	_, err = scramVerifierWith("pässword", salt, 4096)
	require.ErrorContains(t, err, "ASCII", "non-ASCII passwords are refused, not hashed differently from PostgreSQL")
	v1, err := scramVerifier("pencil")
	require.NoError(t, err)
	v2, err := scramVerifier("pencil")
	require.NoError(t, err)
	require.NotEqual(t, v1, v2, "a fresh salt each time")
	require.NotContains(t, v1, "pencil")
}
