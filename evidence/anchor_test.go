package evidence_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/evidence"
	"trustdocs/store"
)

// chain builds evidence rows chained by the anchor's rule (the workers' single-job test
// proves the same rule gives PostgreSQL's hashes).
func chain(payloads ...string) []store.SignLogRow {
	var rows []store.SignLogRow
	prev := ""
	for i, p := range payloads {
		seq := i + 1
		r := store.SignLogRow{Seq: &seq, SignEventID: "dse_" + string(rune('a'+i)), DocID: "doc_1", ActorRole: "system", Event: "signed",
			ProviderPayload: p, CreatedAt: time.Date(2026, 11, 24, 12, 0, i, 1000, time.UTC)}
		if prev != "" {
			ph := prev
			r.PrevHash = &ph
		}
		sum := sha256.Sum256([]byte(strings.Join([]string{prev, r.SignEventID, r.DocID, r.ActorRole, "", "", r.Event, p}, "|")))
		h := hex.EncodeToString(sum[:])
		r.ChainHash = &h
		rows = append(rows, r)
		prev = h
	}
	return rows
}

func TestAnchorRoundTripsAndComparesRowByRow(t *testing.T) {
	t.Parallel()
	doc := store.Doc{DocID: "doc_1", PackID: "dpk_1", EnvelopeID: "env_1", EnvelopeProvider: "sandbox", EnvelopeStatus: "completed"}
	rows := chain(`{"a": 1}`, `{"b": 2}`, `{"c": 3}`)
	a := evidence.NewAnchor(doc, rows)
	require.Equal(t, a.JSON(), evidence.NewAnchor(doc, chain(`{"a": 1}`, `{"b": 2}`, `{"c": 3}`)).JSON(),
		"the same rows give the same bytes: a retried job writes what the first wrote")
	back, err := evidence.ParseAnchor(a.JSON())
	require.NoError(t, err)
	require.Equal(t, a, back)
	require.Empty(t, back.ChainBreaks())
	require.Contains(t, back.Head(), "seq 3 (dse_c), chain ")

	diffs, after := evidence.CompareAnchor(back, rows)
	require.Empty(t, diffs)
	require.Empty(t, after)

	// A row rewritten with every later hash recomputed: a consistent chain, but not the
	// anchored one.
	forged := chain(`{"a": 1}`, `{"b": "forged"}`, `{"c": 3}`)
	diffs, _ = evidence.CompareAnchor(back, forged)
	require.Len(t, diffs, 2)
	require.Equal(t, "seq 2 (dse_b) differs from the anchor in provider_payload, chain_hash", diffs[0].String())
	require.Equal(t, []string{"prev_hash", "chain_hash"}, diffs[1].Fields)

	// A row deleted, a null turned into an empty string, a row added after the anchor.
	diffs, _ = evidence.CompareAnchor(back, rows[:2])
	require.Equal(t, []evidence.Difference{{Seq: rows[2].Seq, SignEventID: "dse_c", Missing: true}}, diffs)
	edited := chain(`{"a": 1}`, `{"b": 2}`, `{"c": 3}`)
	empty := ""
	edited[0].ActorEmail = &empty
	diffs, _ = evidence.CompareAnchor(back, edited)
	require.Equal(t, []string{"actor_email"}, diffs[0].Fields, "a null and an empty string differ")
	diffs, after = evidence.CompareAnchor(back, chain(`{"a": 1}`, `{"b": 2}`, `{"c": 3}`, `{"late": true}`))
	require.Empty(t, diffs)
	require.Len(t, after, 1, "a row recorded after the anchor is beyond it, not a difference")

	// An anchor edited by hand (were it writable) no longer chains.
	back.Events[1].ProviderPayload = `{"b": 3}`
	require.Len(t, back.ChainBreaks(), 1)

	_, err = evidence.ParseAnchor([]byte(`{"format":"trustdocs-evidence/0"}`))
	require.ErrorContains(t, err, `format "trustdocs-evidence/0"`)
	require.True(t, evidence.Terminal("expired"))
	require.False(t, evidence.Terminal("sent"))
}
