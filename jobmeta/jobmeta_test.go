package jobmeta_test

import (
	"context"
	"testing"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
)

// undeclaredArgs do not say what their jobs concern.
type undeclaredArgs struct{}

func (undeclaredArgs) Kind() string { return "undeclared" }

// docArgs concern a document and its users.
type docArgs struct {
	DocID string
	Users []string
}

func (docArgs) Kind() string { return "doc" }

func (a docArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{DocID: a.DocID, UserIDs: a.Users} }

// sweepArgs concern no id; global says whether they declare that.
type sweepArgs struct{ global bool }

func (sweepArgs) Kind() string           { return "sweep" }
func (sweepArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{} }
func (a sweepArgs) Global() bool         { return a.global }

func insertBegin(t *testing.T, p *rivertype.JobInsertParams) error {
	t.Helper()
	hooks := jobmeta.Hooks()
	require.Len(t, hooks, 1)
	h, ok := hooks[0].(rivertype.HookInsertBegin)
	require.True(t, ok, "the hook runs at insert")
	return h.InsertBegin(context.Background(), p)
}

func TestJobMetadataIsWhatTheArgsConcern(t *testing.T) {
	t.Parallel()
	p := &rivertype.JobInsertParams{Args: docArgs{DocID: "doc_1", Users: []string{"usr_1", "usr_2"}}, Kind: "doc"}
	require.NoError(t, insertBegin(t, p))
	require.JSONEq(t, `{"doc_id":"doc_1","user_ids":["usr_1","usr_2"]}`, string(p.Metadata))
	require.Equal(t, jobmeta.Meta{DocID: "doc_1", UserIDs: []string{"usr_1", "usr_2"}}, jobmeta.Of(p.Metadata))
}

func TestJobMetadataMergesWithTheInsertersKeys(t *testing.T) {
	t.Parallel()
	p := &rivertype.JobInsertParams{Args: docArgs{DocID: "doc_1", Users: []string{"usr_1", "usr_2"}}, Kind: "doc",
		Metadata: []byte(`{"river:unique_key":"k","trace":{"by":"ops"},"doc_id":"doc_stale"}`)}
	require.NoError(t, insertBegin(t, p))
	require.JSONEq(t, `{"river:unique_key":"k","trace":{"by":"ops"},"doc_id":"doc_1","user_ids":["usr_1","usr_2"]}`, string(p.Metadata),
		"other keys kept; the ids the args declare win")
}

func TestJobMetadataThatCannotBeMergedIsRefused(t *testing.T) {
	t.Parallel()
	p := &rivertype.JobInsertParams{Args: docArgs{DocID: "doc_1", Users: []string{"usr_1", "usr_2"}}, Kind: "doc", Metadata: []byte(`["not", "an", "object"]`)}
	err := insertBegin(t, p)
	require.ErrorContains(t, err, "insert doc: metadata")
	require.NotErrorIs(t, err, jobmeta.ErrUndeclared)
}

func TestJobArgsThatDeclareNothingAreRefused(t *testing.T) {
	t.Parallel()
	for name, args := range map[string]rivertype.JobArgs{
		"no Concerns method":                undeclaredArgs{},
		"no id and not Global":              docArgs{},
		"no id, Global but answering false": sweepArgs{global: false},
	} {
		p := &rivertype.JobInsertParams{Args: args, Kind: args.Kind(), Metadata: []byte(`{"keep":1}`)}
		err := insertBegin(t, p)
		require.ErrorIs(t, err, jobmeta.ErrUndeclared, name)
		require.ErrorContains(t, err, "insert "+args.Kind(), name)
		require.JSONEq(t, `{"keep":1}`, string(p.Metadata), "%s: metadata left as it was", name)
	}
}

func TestJobArgsOfAGlobalKindNameNoID(t *testing.T) {
	t.Parallel()
	p := &rivertype.JobInsertParams{Args: sweepArgs{global: true}, Kind: "sweep", Metadata: []byte(`{"keep":1}`)}
	require.NoError(t, insertBegin(t, p))
	require.JSONEq(t, `{"keep":1}`, string(p.Metadata))
	require.True(t, jobmeta.Of(p.Metadata).Empty())
}

func TestJobMetaJSONNamesOnlyTheIDsSet(t *testing.T) {
	t.Parallel()
	require.JSONEq(t, `{}`, jobmeta.Meta{}.JSON())
	require.JSONEq(t, `{"user_ids":["u"]}`, jobmeta.Meta{UserIDs: []string{"u"}}.JSON(), "the fragment a trace matches with @>")
	all := jobmeta.Meta{EventID: "e", LegID: "l", PackID: "p", DocID: "d", UserIDs: []string{"u"}, CandidateID: "c"}
	require.JSONEq(t, `{"event_id":"e","leg_id":"l","pack_id":"p","doc_id":"d","user_ids":["u"],"candidate_id":"c"}`, all.JSON())
	require.Equal(t, all, jobmeta.Of([]byte(all.JSON())))
	for _, m := range []jobmeta.Meta{{EventID: "e"}, {LegID: "l"}, {PackID: "p"}, {DocID: "d"}, {UserIDs: []string{"u"}}, {CandidateID: "c"}} {
		require.False(t, m.Empty(), "%+v", m)
	}
	require.True(t, jobmeta.Meta{UserIDs: []string{}}.Empty())
}

func TestJobMetaOfIgnoresOtherKeysAndBadMetadata(t *testing.T) {
	t.Parallel()
	require.Equal(t, jobmeta.Meta{PackID: "p"}, jobmeta.Of([]byte(`{"pack_id":"p","river:unique_key":"k"}`)))
	require.True(t, jobmeta.Of([]byte(`not json`)).Empty())
	require.True(t, jobmeta.Of(nil).Empty())
}
