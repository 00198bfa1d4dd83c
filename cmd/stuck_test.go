package cmd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
	"trustdocs/testkit"
	"trustdocs/workers"
)

// A document that cannot render (its stored variables lack what its clauses use) has
// its render job cancelled on purpose, and its pack stays draft: the worker's gauges
// show both, and `pipelinectl packs stuck` names the pack with the job's last error.
func TestACancelledRenderShowsAsStuckWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	workerAddr := freeAddr(t)
	env := testkit.Env(st.cfg, "WORKER_ADDR="+workerAddr, "STUCK_PACK_AFTER=1s")
	r := runBin(t, env, "pipelinectl", "content", "publish")
	require.Equal(t, 0, r.code, r.stderr)

	// A pack whose document lost its variables (as by hand, or by a bug upstream).
	_, err := st.pool.Exec(ctx, `insert into booking_leg (leg_id, booking_id, city) values ('leg_stuck', 'bkg_stuck', 'NYC')`)
	require.NoError(t, err)
	_, err = st.pool.Exec(ctx, `insert into doc_pack (pack_id, leg_id, status, generator_ver, city, created_at)
		values ('dpk_stuck', 'leg_stuck', 'draft', 'test', 'NYC', now() - interval '1 hour')`)
	require.NoError(t, err)
	_, err = st.pool.Exec(ctx, `insert into doc_instance (doc_id, pack_id, template_id, template_version, variables_filled, signer_map_json, clause_ids)
		select 'doc_stuck', 'dpk_stuck', template_id, version, '{}',
		       '{"buyer":{"user_id":"usr_b","name":"Buyer","email":"b@example.com"}}',
		       array(select c->>'clause_id' from jsonb_array_elements(clauses_ordered) c)
		from doc_template where name = 'Talent SOW' order by version desc limit 1`)
	require.NoError(t, err)
	rc, err := river.NewClient(riverpgxv5.New(st.pool), &river.Config{Hooks: jobmeta.Hooks()})
	require.NoError(t, err)
	_, err = rc.Insert(ctx, workers.RenderDocumentArgs{DocID: "doc_stuck"}, nil)
	require.NoError(t, err)

	logs := startBin(t, env, "worker")
	eventually(t, 60*time.Second, func() bool {
		return st.count(t, `select count(*) from river_job where kind = 'render_document' and state = 'cancelled'`) == 1
	}, "the render cancelled\nworker log:\n%s", logs)

	eventually(t, 30*time.Second, func() bool {
		_, metrics := call(t, "http://"+workerAddr+"/metrics", "")
		return strings.Contains(metrics, `trustdocs_river_jobs_failed{kind="render_document",state="cancelled"} 1`) &&
			strings.Contains(metrics, `trustdocs_river_jobs_failed{kind="all",state="cancelled"} 1`) &&
			strings.Contains(metrics, `trustdocs_packs_stuck{status="draft"} 1`)
	}, "the gauges show the cancelled job and the stuck pack")

	r = runBin(t, env, "pipelinectl", "packs", "stuck")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"dpk_stuck", "leg_stuck", "draft", "render_document job", "cancelled", "missing"} {
		require.Contains(t, r.stdout, want)
	}
	r = runBin(t, env, "pipelinectl", "packs", "stuck", "--draft", "2h")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "no pack draft longer than 2h0m0s")
}
