package main

import (
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/infra"
	"trustdocs/jobmeta"
	"trustdocs/trustcache"
)

// deps is what a command works with; open fills the parts it asks for.
type deps struct {
	cfg   config.Config
	pool  *pgxpool.Pool
	aws   *infra.AWS
	river *river.Client[pgx.Tx] // insert-only: lists, retries and reads jobs
}

type need int

const (
	needDB need = 1 << iota
	needAWS
	needRiver // implies needDB
)

// open loads the configuration and opens what n asks for; close releases it.
func open(cmd *cobra.Command, n need) (d *deps, closeFn func(), err error) {
	d = &deps{}
	closeFn = func() {}
	if d.cfg, err = config.Load(); err != nil {
		return nil, closeFn, fmt.Errorf("configuration: %w", err)
	}
	if n&needRiver != 0 {
		n |= needDB
	}
	if n&needDB != 0 {
		if d.pool, err = infra.OpenPool(cmd.Context(), d.cfg); err != nil {
			return nil, closeFn, err
		}
		closeFn = d.pool.Close
	}
	if n&needRiver != 0 {
		if d.river, err = river.NewClient(riverpgxv5.New(d.pool), &river.Config{Hooks: jobmeta.Hooks()}); err != nil {
			closeFn()
			return nil, func() {}, fmt.Errorf("river: %w", err)
		}
	}
	if n&needAWS != 0 {
		if d.aws, err = infra.NewAWS(cmd.Context(), d.cfg, zerolog.Nop()); err != nil {
			closeFn()
			return nil, func() {}, err
		}
	}
	return d, closeFn, nil
}

// docs is the documents bucket (needAWS).
func (d *deps) docs() docstore.Store {
	return docstore.Store{S3: d.aws.S3, Bucket: d.cfg.DocsBucket, Env: d.cfg.DocsEnv, KMSKeyID: d.cfg.DocsKMSKeyID}
}

// cache is the trust_cache table and its writer (needAWS).
func (d *deps) cache() trustcache.Writer {
	return trustcache.Writer{Table: trustcache.Table{DB: d.aws.DynamoDB, Name: d.cfg.TrustCacheTable}, WindowDays: d.cfg.RiskWindowDays}
}
