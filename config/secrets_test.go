package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/config"
)

// expand turns WEBHOOK_SECRET_<PROVIDER> into one name per provider.
func expand(name string) []string {
	base, ok := strings.CutSuffix(name, "<PROVIDER>")
	if !ok {
		return []string{name}
	}
	var out []string
	for _, p := range config.Providers {
		out = append(out, base+strings.ToUpper(p))
	}
	return out
}

// A value worth reading back for each secret variable (DATABASE_URL must parse).
func secretValue(name string) string {
	if name == "DATABASE_URL" {
		return "postgres://app:from-file-db@db.internal:5432/trustdocs"
	}
	return "from-file-" + strings.ToLower(name)
}

// Every secret variable is read from NAME_FILE, and refused when NAME is set too.
func TestEverySecretVariableAlsoReadsAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, v := range config.SecretVars {
		for _, name := range expand(v) {
			path := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(path, []byte(secretValue(name)+"\n"), 0o600))
			c, err := config.LoadFrom(env(map[string]string{name + "_FILE": path}))
			require.NoError(t, err, name)
			want := secretValue(name)
			if strings.HasPrefix(name, "WEBHOOK_SECRET_") {
				p := strings.ToLower(strings.TrimPrefix(name, "WEBHOOK_SECRET_"))
				require.Equal(t, []string{want}, c.WebhookSecrets[p], name)
			} else {
				require.Contains(t, fmt.Sprintf("%#v", c), fmt.Sprintf("%q", want), "%s_FILE is read into the configuration", name)
			}
			_, err = config.LoadFrom(env(map[string]string{name: "x", name + "_FILE": path}))
			require.ErrorContains(t, err, name+" and "+name+"_FILE are both set", name)
		}
	}
}

// A secret file that cannot be read (missing, a directory, empty) is one line naming the
// variable and the path; the content of a file is never in an error.
func TestUnreadableSecretFileIsOneLineNamingVariableAndPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct{ name, path, why string }{
		{"WEBHOOK_SECRET_STRIPE_FILE", missing, "no such file or directory"},
		{"CHECKR_API_KEY_FILE", dir, "is a directory"},
		{"DATABASE_URL_FILE", empty, "the file is empty"},
		{"DATABASE_PASSWORD_FILE", missing, "no such file or directory"},
	} {
		_, err := config.LoadFrom(env(map[string]string{tc.name: tc.path}))
		require.Error(t, err, tc.name)
		require.NotContains(t, err.Error(), "\n")
		require.Contains(t, err.Error(), tc.name+"="+tc.path+":", "names the variable and the path")
		require.Contains(t, err.Error(), tc.why)
		require.Equal(t, 1, strings.Count(err.Error(), tc.path), "the path once: %s", err)
	}
}

// DATABASE_PASSWORD_FILE sets the password into DATABASE_URL (escaped), and refuses a
// URL that has one already or names no user, without quoting the URL or the password.
func TestDatabasePasswordFileIsSetIntoTheURL(t *testing.T) {
	t.Parallel()
	pw := filepath.Join(t.TempDir(), "pw")
	const secret = "p@ss:w/rd%41 x"
	require.NoError(t, os.WriteFile(pw, []byte(secret+"\n"), 0o600))

	c, err := config.LoadFrom(env(map[string]string{"DATABASE_URL": "postgres://app@db.internal:5432/trustdocs?sslmode=require", "DATABASE_PASSWORD_FILE": pw}))
	require.NoError(t, err)
	require.Equal(t, "postgres://app:p%40ss%3Aw%2Frd%2541%20x@db.internal:5432/trustdocs?sslmode=require", c.DatabaseURL)

	for url, want := range map[string]string{
		"postgres://app:inline-pw@db.internal/trustdocs": "already has a password",
		"postgres://db.internal/trustdocs":               "names no user",
	} {
		_, err := config.LoadFrom(env(map[string]string{"DATABASE_URL": url, "DATABASE_PASSWORD_FILE": pw}))
		require.ErrorContains(t, err, "DATABASE_PASSWORD_FILE: ")
		require.ErrorContains(t, err, want)
		require.NotContains(t, err.Error(), "inline-pw")
		require.NotContains(t, err.Error(), "p@ss")
		require.NotContains(t, err.Error(), "db.internal", "the URL is not quoted")
	}
}

// The README states the _FILE rule once, above the table, with the list of secret
// variables; that list is config.SecretVars, each of which the table documents, and no
// row repeats the rule.
func TestREADMEStatesWhichVariablesAcceptAFile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	readme := string(b)
	m := regexp.MustCompile("These variables also accept `NAME_FILE`: (.*)\\.\n").FindStringSubmatch(readme)
	require.NotNil(t, m, "README's Configuration section lacks the line 'These variables also accept `NAME_FILE`: ...'")
	var listed []string
	for _, f := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
		listed = append(listed, f[1])
	}
	require.Equal(t, config.SecretVars, listed, "README's list of variables that accept NAME_FILE")
	for _, v := range config.SecretVars {
		require.True(t, slices.ContainsFunc(config.Vars, func(x config.Var) bool { return x.Name == v }), "%s is not in config.Vars", v)
	}
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| `") {
			require.NotRegexp(t, `also as .*_FILE`, line, "the rule is stated once above the table, not per row")
		}
	}
	for _, v := range config.Vars {
		require.NotContains(t, v.Help, "also as", "%s: the rule is stated once, not in each help", v.Name)
	}
}
