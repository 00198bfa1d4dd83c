package cmd_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/idcheck/checkr/checkrtest"
	"trustdocs/idcheck/persona/personatest"
	"trustdocs/testkit"
	"trustdocs/trustcache"
	"trustdocs/webhook"
)

// transcript is every output of a test run: each command's stdout and stderr, each
// service's log, under a name that says where it came from.
type transcript struct {
	names []string
	texts map[string]string
}

func (tr *transcript) add(name, text string) {
	if tr.texts == nil {
		tr.texts = map[string]string{}
	}
	if _, ok := tr.texts[name]; !ok {
		tr.names = append(tr.names, name)
	}
	tr.texts[name] += text
}

var (
	base64Token = regexp.MustCompile(`[A-Za-z0-9+/_-]{12,}={0,2}`)
	hexToken    = regexp.MustCompile(`[0-9a-fA-F]{16,}`)
)

// leaks says how text shows needle, if it does: as itself, URL-escaped, in hex, or in
// base64 (any alphabet, padded or not, at any offset: every base64 or hex token of the
// text is decoded and searched).
func leaks(text, needle string) string {
	forms := map[string]string{
		"raw": needle, "url-escaped": url.QueryEscape(needle), "hex": hex.EncodeToString([]byte(needle)),
		"HEX": strings.ToUpper(hex.EncodeToString([]byte(needle))), "base64": base64.StdEncoding.EncodeToString([]byte(needle)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(needle)), "json-escaped": strings.Trim(mustJSONString(needle), `"`),
	}
	for form, s := range forms {
		if strings.Contains(text, s) {
			return form
		}
	}
	for _, tok := range base64Token.FindAllString(text, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(tok); err == nil && bytes.Contains(b, []byte(needle)) {
				return "inside base64 " + tok[:min(len(tok), 24)] + "..."
			}
			if b, err := enc.DecodeString(strings.TrimRight(tok, "=")); err == nil && bytes.Contains(b, []byte(needle)) {
				return "inside base64 " + tok[:min(len(tok), 24)] + "..."
			}
		}
	}
	for _, tok := range hexToken.FindAllString(text, -1) {
		if b, err := hex.DecodeString(tok[:len(tok)/2*2]); err == nil && bytes.Contains(b, []byte(needle)) {
			return "inside hex " + tok[:24] + "..."
		}
	}
	return ""
}

func mustJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// requireClean fails for every needle found in any output (except those named in skip).
func (tr *transcript) requireClean(t *testing.T, what string, needles map[string]string, skip ...string) {
	t.Helper()
	var found []string
	for _, name := range tr.names {
		if slices.Contains(skip, name) {
			continue
		}
		for label, needle := range needles {
			if form := leaks(tr.texts[name], needle); form != "" {
				found = append(found, fmt.Sprintf("%s shows %s %s (%s)", name, what, label, form))
			}
		}
	}
	sort.Strings(found)
	require.Empty(t, found, "no output may show %s", what)
}

// without drops variables from an environment.
func without(env []string, names ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, name)
	})
}

// helpCommands walks pipelinectl's command tree through --help: every command path.
func helpCommands(t *testing.T, env []string, path []string, tr *transcript) [][]string {
	t.Helper()
	r := runBin(t, env, "pipelinectl", append(slices.Clone(path), "--help")...)
	require.Equal(t, 0, r.code, "pipelinectl %v --help: %s", path, r.stderr)
	tr.add(fmt.Sprintf("pipelinectl %s --help", strings.Join(path, " ")), r.stdout+r.stderr)
	out := [][]string{path}
	_, list, ok := strings.Cut(r.stdout, "Available Commands:\n")
	if !ok {
		return out
	}
	list, _, _ = strings.Cut(list, "\n\n")
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "help" || f[0] == "completion" {
			continue
		}
		out = append(out, helpCommands(t, env, append(slices.Clone(path), f[0]), tr)...)
	}
	return out
}

// The whole pipeline run with distinctive secrets, given partly as variables and partly
// as NAME_FILE (the database password both ways: DATABASE_PASSWORD_FILE for the services,
// a DATABASE_URL_FILE holding a URL with a password for pipelinectl), through an identity
// flow whose webhooks carry personal data (names, dates of birth, an email, an address,
// a phone number): a Persona inquiry verified through Persona's API (key from a file), a
// Checkr report completed through Checkr's API (key from a file), a webhook signed with
// the second of two rotating secrets and one with a bad signature, one dead-lettered
// webhook of each identity provider; then every on-call command an engineer would run
// (check, dlq list/show/--body/--json, replay --dry-run --json, trace, cache show,
// jobs list), --help of every binary and command, and start-up errors (an unreadable
// secret file, a refused password file, an unreachable database, a half-configured
// provider). No output, log line or table shows a secret (raw, base64, hex, escaped) or
// personal data. Only `dlq show --unsafe-show-body --reason` shows the dead letters'
// bodies, after recording who (actor and OS user), when, which messages and why.
func TestSecretsAndPersonalDataNeverPrinted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	sfx := testkit.Suffix()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content+"\n"), 0o600))
		return p
	}

	// The secrets, each distinctive. Rotation: persona has two.
	secrets := map[string]string{
		"WEBHOOK_SECRET_PERSONA (old)":    "pxOLDhook" + sfx + "Q7",
		"WEBHOOK_SECRET_PERSONA (new)":    "pxNEWhook" + sfx + "R8",
		"WEBHOOK_SECRET_STRIPE":           "whsec_STRIPEhook" + sfx,
		"WEBHOOK_SECRET_CHECKR":           "ckHOOKsecret" + sfx + "Z1",
		"WEBHOOK_SECRET_DOCUSIGN":         "dsHMACkey" + sfx + "W2",
		"DROPBOXSIGN_API_KEY":             "dbxAPIkey" + sfx + "V3",
		"PERSONA_API_KEY":                 "persona_sandbox_KEY" + sfx,
		"STRIPE_API_KEY":                  "rk_test_STRIPEkey" + sfx,
		"CHECKR_API_KEY":                  "ckAPIkey" + sfx + "U4",
		"database password (services)":    "dbPW" + sfx + "svcT5",
		"database password (pipelinectl)": "dbPW" + sfx + "ctlS6",
	}
	// The personal data the fixtures carry.
	pii := map[string]string{
		"first name": "Marisol", "last name": "Quintanilla-Ekwueme", "date of birth (API)": "1991-04-17",
		"date of birth (webhook)": "1988-02-29", "date of birth (checkr)": "1979-11-05", "email": "marisol.q@example.org",
		"address": "742 Evergreen Terrace", "phone": "+1-555-0142", "document number": "D1234-5678-90",
	}

	personaAPI := personatest.New(t, secrets["PERSONA_API_KEY"])
	personaAPI.AddInquiry("inq_hyg_1", pii["date of birth (API)"], personatest.InFields)
	checkrAPI := checkrtest.New(t, secrets["CHECKR_API_KEY"])
	checkrAPI.AddReport("rep_hyg_1", "cand_hyg_1", checkrtest.StatusComplete, checkrtest.ResultClear)

	withPW, err := url.Parse(st.cfg.DatabaseURL)
	require.NoError(t, err)
	withPW.User = url.UserPassword(withPW.User.Username(), secrets["database password (pipelinectl)"])
	receiverAddr := freeAddr(t)
	base := "http://" + receiverAddr
	common := append(testkit.Env(st.cfg), "LOG_LEVEL=debug", "RECEIVER_ADDR="+receiverAddr, "WORKER_ADDR=127.0.0.1:0",
		"WEBHOOK_SECRET_PERSONA="+secrets["WEBHOOK_SECRET_PERSONA (old)"]+","+secrets["WEBHOOK_SECRET_PERSONA (new)"],
		"WEBHOOK_SECRET_STRIPE_FILE="+file("stripe-hook", secrets["WEBHOOK_SECRET_STRIPE"]),
		"WEBHOOK_SECRET_CHECKR_FILE="+file("checkr-hook", secrets["WEBHOOK_SECRET_CHECKR"]),
		"WEBHOOK_SECRET_DOCUSIGN="+secrets["WEBHOOK_SECRET_DOCUSIGN"],
		"DROPBOXSIGN_API_KEY_FILE="+file("dbx-key", secrets["DROPBOXSIGN_API_KEY"]),
		"PERSONA_API_KEY_FILE="+file("persona-key", secrets["PERSONA_API_KEY"]), "PERSONA_API_URL="+personaAPI.URL(),
		"STRIPE_API_KEY="+secrets["STRIPE_API_KEY"],
		"CHECKR_API_KEY_FILE="+file("checkr-key", secrets["CHECKR_API_KEY"]), "CHECKR_API_URL="+checkrAPI.URL(),
		"TRUSTDOCS_ACTOR=hygiene-test")
	// The services: DATABASE_URL names the user, the password comes from its own file.
	svcEnv := append(slices.Clone(common), "DATABASE_PASSWORD_FILE="+file("db-password", secrets["database password (services)"]))
	// pipelinectl: the whole URL, password included, from a file.
	ctlEnv := append(without(common, "DATABASE_URL"), "DATABASE_URL_FILE="+file("db-url", withPW.String()))

	// The search finds a needle inside base64 at any offset, and in hex.
	for i, pad := range []string{"", "a", "ab"} {
		require.NotEmpty(t, leaks("x "+base64.StdEncoding.EncodeToString([]byte(pad+secrets["CHECKR_API_KEY"]+"}"))+" y", secrets["CHECKR_API_KEY"]), "offset %d", i)
	}
	require.NotEmpty(t, leaks(hex.EncodeToString([]byte("{"+pii["email"])), pii["email"]))

	tr := &transcript{}
	run := func(env []string, args ...string) result {
		t.Helper()
		r := runBin(t, env, "pipelinectl", args...)
		tr.add("pipelinectl "+strings.Join(args, " ")+" (stdout)", r.stdout)
		tr.add("pipelinectl "+strings.Join(args, " ")+" (stderr)", r.stderr)
		return r
	}

	receiver := startService(t, svcEnv, "receiver")
	worker := startService(t, svcEnv, "worker")
	waitFor(t, base+"/healthz", &bytes.Buffer{})

	post := func(provider, secret string, body []byte) int {
		t.Helper()
		h, err := webhook.Sign(provider, secret, body, time.Now())
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/"+provider, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}
	const userID = "usr_hyg_1"
	now := time.Now().UTC()
	personaFields := fmt.Sprintf(`"fields":{"name-first":{"type":"string","value":%q},"name-last":{"type":"string","value":%q},
	  "email-address":{"type":"string","value":%q},"address-street-1":{"type":"string","value":%q},"phone-number":{"type":"string","value":%q},
	  "identification-number":{"type":"string","value":%q}}`, pii["first name"], pii["last name"], pii["email"], pii["address"], pii["phone"], pii["document number"])

	// An approved inquiry full of personal data but without a date of birth, signed with
	// the second (new) of the two rotating secrets: the worker asks Persona's API.
	require.Equal(t, http.StatusOK, post("persona", secrets["WEBHOOK_SECRET_PERSONA (new)"], []byte(fmt.Sprintf(
		`{"data":{"type":"event","id":"evt_hyg_p1","attributes":{"name":"inquiry.approved","created-at":%q,
		  "payload":{"data":{"type":"inquiry","id":"inq_hyg_1","attributes":{"status":"approved","reference-id":%q,%s}}}}}}`,
		now.Format(time.RFC3339Nano), userID, personaFields))))
	// A bad signature is refused (and logged as refused).
	require.Equal(t, http.StatusUnauthorized, post("persona", "not-the-secret", []byte(`{"data":{"id":"evt_x"}}`)))
	// One dead letter per identity provider: verified, full of personal data, and
	// unreadable for our normalizers (no inquiry id; no session id; no event id).
	require.Equal(t, http.StatusOK, post("persona", secrets["WEBHOOK_SECRET_PERSONA (old)"], []byte(fmt.Sprintf(
		`{"data":{"type":"event","id":"evt_hyg_dead_p","attributes":{"name":"inquiry.approved","created-at":%q,
		  "payload":{"data":{"type":"inquiry","attributes":{"reference-id":%q,"birthdate":%q,%s}}}}}}`,
		now.Format(time.RFC3339Nano), userID, pii["date of birth (webhook)"], personaFields))))
	require.Equal(t, http.StatusOK, post("stripe", secrets["WEBHOOK_SECRET_STRIPE"], []byte(fmt.Sprintf(
		`{"id":"evt_hyg_dead_s","object":"event","type":"identity.verification_session.verified","created":%d,
		  "data":{"object":{"object":"identity.verification_session","status":"verified","client_reference_id":%q,
		    "verified_outputs":{"first_name":%q,"last_name":%q,"dob":{"day":29,"month":2,"year":1988},"address":{"line1":%q},"email":%q}}}}`,
		now.Unix(), userID, pii["first name"], pii["last name"], pii["address"], pii["email"]))))
	require.Equal(t, http.StatusOK, post("checkr", secrets["WEBHOOK_SECRET_CHECKR"], []byte(fmt.Sprintf(
		`{"object":"event","type":"candidate.created","created_at":%q,
		  "data":{"object":{"id":"cand_hyg_x","object":"candidate","first_name":%q,"last_name":%q,"dob":%q,"email":%q,"phone":%q}}}`,
		now.Format(time.RFC3339), pii["first name"], pii["last name"], pii["date of birth (checkr)"], pii["email"], pii["phone"]))))
	// A DocuSign event signed with its secret (nothing of ours: recorded as unknown).
	require.Equal(t, http.StatusOK, post("docusign", secrets["WEBHOOK_SECRET_DOCUSIGN"], []byte(fmt.Sprintf(
		`{"event":"envelope-sent","generatedDateTime":%q,"data":{"envelopeId":"env-hyg-unknown"}}`, now.Format(time.RFC3339)))))

	item := func() (bool, bool) {
		it, found, err := trustcache.Table{DB: st.clients.DynamoDB, Name: st.cfg.TrustCacheTable}.Get(ctx, userID)
		require.NoError(t, err)
		return found && it.AgeVerified, found && it.TrustedPro
	}
	eventually(t, 90*time.Second, func() bool { age, _ := item(); return age },
		"the inquiry age-verified through Persona's API (key from its file)\nworker log:\n%s", worker.logs)

	// Checkr: the background check requested, then a report.completed without its
	// result, read from Checkr's API with the key from its file.
	raw, err := json.Marshal(events.Envelope{ID: "evt_hyg_bg_1", Type: events.BackgroundCheckAsked, Source: "trust", OccurredAt: now,
		Data: json.RawMessage(fmt.Sprintf(`{"user_id":%q,"provider":"checkr","candidate_id":"cand_hyg_1","package":"basic_us"}`, userID))})
	require.NoError(t, err)
	r := run(ctlEnv, "publish", file("bg.json", string(raw)))
	require.Equal(t, 0, r.code, r.stderr)
	eventually(t, 60*time.Second, func() bool {
		return st.count(t, `select count(*) from bg_candidate where candidate_id = 'cand_hyg_1'`) == 1
	}, "the background check registered\nworker log:\n%s", worker.logs)
	require.Equal(t, http.StatusOK, post("checkr", secrets["WEBHOOK_SECRET_CHECKR"], []byte(fmt.Sprintf(
		`{"id":"evt_hyg_c1","object":"event","type":"report.completed","created_at":%q,
		  "data":{"object":{"id":"rep_hyg_1","object":"report","status":"complete","candidate_id":"cand_hyg_1","package":"basic_us"}}}`,
		now.Add(time.Second).Format(time.RFC3339)))))
	eventually(t, 60*time.Second, func() bool { _, pro := item(); return pro }, "trusted_pro\nworker log:\n%s", worker.logs)
	require.Positive(t, checkrAPI.Calls(), "Checkr's API was asked, with the key from the file")

	dlqName := st.cfg.DLQ(st.cfg.WebhookQueue)
	eventually(t, 60*time.Second, func() bool { return st.depth(t, dlqName) == 3 },
		"the three identity webhooks dead-lettered\nworker log:\n%s", worker.logs)

	// On-call, as an engineer would look.
	r = run(ctlEnv, "check")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "ok   postgres")
	require.NotContains(t, r.stdout, "WARN", "every identity key is set (from a file or a variable)")
	r = run(ctlEnv, "dlq", "list")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(ctlEnv, "dlq", "show", "--queue", st.cfg.WebhookQueue, "--body", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"persona event evt_hyg_dead_p  inquiry.approved", "stripe event evt_hyg_dead_s  identity.verification_session.verified",
		"checkr event (no id)  candidate.created", "withheld: persona webhooks carry personal data"} {
		require.Contains(t, r.stdout, want, "ids and event types only")
	}
	r = run(ctlEnv, "dlq", "show", "--queue", st.cfg.WebhookQueue, "--json", "--limit", "0", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	var shown []struct {
		MessageID    string `json:"message_id"`
		EventID      string `json:"event_id"`
		BodyRedacted bool   `json:"body_redacted"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &shown))
	require.Len(t, shown, 3)
	var eventIDs, messageIDs []string
	for _, m := range shown {
		require.True(t, m.BodyRedacted, "message %s", m.MessageID)
		eventIDs, messageIDs = append(eventIDs, m.EventID), append(messageIDs, m.MessageID)
	}
	r = run(ctlEnv, "dlq", "replay", "--queue", st.cfg.WebhookQueue, "--dry-run", "--json", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"body_redacted": true`)
	for _, id := range append([]string{userID}, eventIDs...) {
		r = run(ctlEnv, "trace", id)
		require.Equal(t, 0, r.code, r.stderr)
	}
	r = run(ctlEnv, "cache", "show", userID)
	require.Equal(t, 0, r.code, r.stderr)
	r = run(ctlEnv, "jobs", "list")
	require.Equal(t, 0, r.code, r.stderr)

	// --help of every binary and every command.
	for _, bin := range []string{"worker", "receiver"} {
		r := runBin(t, svcEnv, bin, "--help")
		require.Equal(t, 0, r.code, bin)
		tr.add(bin+" --help", r.stdout+r.stderr)
	}
	cmds := helpCommands(t, ctlEnv, nil, tr)
	require.Greater(t, len(cmds), 20, "the command tree was walked: %v", cmds)

	// Start-up errors, with every secret set: one line naming the problem, no secret.
	missing := filepath.Join(dir, "no-such-secret")
	for _, c := range []struct {
		bin   string
		env   []string
		wants []string
	}{
		{"worker", append(without(svcEnv, "WEBHOOK_SECRET_STRIPE_FILE"), "WEBHOOK_SECRET_STRIPE_FILE="+missing),
			[]string{"WEBHOOK_SECRET_STRIPE_FILE=" + missing + ": cannot read it: no such file or directory"}},
		{"receiver", append(without(svcEnv, "DATABASE_URL"), "DATABASE_URL="+withPW.String()),
			[]string{"DATABASE_PASSWORD_FILE: DATABASE_URL already has a password"}},
		{"worker", append(slices.Clone(svcEnv), "ESIGN_PROVIDER=docusign"), []string{"ESIGN_PROVIDER=docusign needs"}},
		{"pipelinectl", append(without(ctlEnv, "DATABASE_URL_FILE"), "DATABASE_URL_FILE="+file("db-url-down",
			strings.Replace(withPW.String(), fmt.Sprintf(":%s@%s", secrets["database password (pipelinectl)"], withPW.Host), fmt.Sprintf(":%s@127.0.0.1:1", secrets["database password (pipelinectl)"]), 1))),
			[]string{"127.0.0.1:1"}},
	} {
		args := []string{}
		if c.bin == "pipelinectl" {
			args = []string{"migrate"}
		}
		r := runBin(t, c.env, c.bin, args...)
		tr.add(fmt.Sprintf("%s start-up error %v", c.bin, c.wants), r.stdout+r.stderr)
		requireOneLineError(t, r, c.wants...)
	}

	// The audited look: refused without a reason; with one, on the record first.
	r = run(ctlEnv, "dlq", "show", "--queue", st.cfg.WebhookQueue, "--unsafe-show-body", "--visibility", "5s")
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stderr, "--unsafe-show-body needs --reason")
	const reason = "INC-4242: Persona changed the inquiry shape"
	unsafe := runBin(t, ctlEnv, "pipelinectl", "dlq", "show", "--queue", st.cfg.WebhookQueue, "--unsafe-show-body", "--reason", reason,
		"--limit", "0", "--visibility", "5s")
	require.Equal(t, 0, unsafe.code, unsafe.stderr)
	tr.add("dlq show --unsafe-show-body (stdout)", unsafe.stdout)
	tr.add("dlq show --unsafe-show-body (stderr)", unsafe.stderr)
	require.NotEmpty(t, leaks(unsafe.stdout, pii["last name"]), "the bodies are shown, whole, when asked for with a reason")
	osUser := ""
	if u, err := user.Current(); err == nil {
		osUser = u.Username
	}
	var audit map[string]any
	for _, line := range strings.Split(unsafe.stderr, "\n") {
		if strings.Contains(line, `"action":"dlq_show_body"`) {
			require.NoError(t, json.Unmarshal([]byte(line), &audit), line)
		}
	}
	require.NotNil(t, audit, "a structured audit line on stderr: %s", unsafe.stderr)
	require.Equal(t, "hygiene-test", audit["actor"])
	require.Equal(t, osUser, audit["os_user"])
	require.Equal(t, reason, audit["reason"])
	require.NotEmpty(t, audit["time"])
	var logged []string
	for _, id := range audit["message_ids"].([]any) {
		logged = append(logged, id.(string))
	}
	require.ElementsMatch(t, messageIDs, logged)
	actionID := audit["audit_id"].(string)
	require.Equal(t, 1, st.count(t, `select count(*) from ops_action where action_id = $1 and action = 'dlq_show_body'
		and actor like 'hygiene-test%' and reason = $2 and queue = $3 and items = 3 and finished_at is not null`, actionID, reason, dlqName))
	require.Equal(t, 3, st.count(t, `select count(*) from ops_action_item where action_id = $1 and item_id = any($2)`, actionID, messageIDs))
	r = run(ctlEnv, "trace", eventIDs[0])
	require.Contains(t, r.stdout, "dlq_show_body "+actionID+" by hygiene-test", "the look shows in the event's trace")

	receiver.stop()
	worker.stop()
	tr.add("receiver log", receiver.logs.String())
	tr.add("worker log", worker.logs.String())
	require.Contains(t, tr.texts["worker log"], `"level":"debug"`, "the services log at debug level, their most talkative")

	tr.requireClean(t, "a secret", secrets)
	tr.requireClean(t, "personal data", pii, "dlq show --unsafe-show-body (stdout)")

	// And no table keeps any of it (the audit keeps ids and the reason only).
	rows, err := st.pool.Query(ctx, `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	dump := &transcript{}
	for _, table := range tables {
		var text string
		require.NoError(t, st.pool.QueryRow(ctx, `select coalesce(string_agg(t::text, ' '), '') from "`+table+`" t`).Scan(&text))
		dump.add("table "+table, text)
	}
	dump.requireClean(t, "personal data", pii)
	dump.requireClean(t, "a secret", secrets)
}
