package main

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"trustdocs/config"
	"trustdocs/infra"
)

// deps is what a command works with; open fills the parts it asks for.
type deps struct {
	cfg  config.Config
	pool *pgxpool.Pool
	aws  *infra.AWS
}

type need int

const (
	needDB need = 1 << iota
	needAWS
)

// open loads the configuration and opens what n asks for; close releases it.
func open(cmd *cobra.Command, n need) (d *deps, closeFn func(), err error) {
	d = &deps{}
	closeFn = func() {}
	if d.cfg, err = config.Load(); err != nil {
		return nil, closeFn, fmt.Errorf("configuration: %w", err)
	}
	if n&needDB != 0 {
		if d.pool, err = infra.OpenPool(cmd.Context(), d.cfg); err != nil {
			return nil, closeFn, err
		}
		closeFn = d.pool.Close
	}
	if n&needAWS != 0 {
		if d.aws, err = infra.NewAWS(cmd.Context(), d.cfg, zerolog.Nop()); err != nil {
			closeFn()
			return nil, func() {}, err
		}
	}
	return d, closeFn, nil
}
