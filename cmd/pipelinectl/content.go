package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"trustdocs/content"
	"trustdocs/store"
)

func contentCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "content", Short: "Manage the clause library and document templates"}
	var dir, actor string
	var dryRun bool
	publish := &cobra.Command{
		Use:   "publish",
		Short: "Validate the clauses and templates and write new versions of what changed",
		Long: `publish validates every clause (content/clauses/*.md) and template
(content/templates/*.yaml) and writes them to doc_clause and doc_template. A clause or
template whose content changed becomes a new version; unchanged content is a no-op; old
versions stay, since packs issued from them refer to them. A changed clause also
versions the templates that use it, because a template pins its clauses' versions.

Without --dir it publishes the content built into this binary.`,
		Example: `  pipelinectl content publish
  pipelinectl content publish --dir ./content --actor jane@legal --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var fsys fs.FS = content.FS
			if dir != "" {
				fsys = os.DirFS(dir)
			}
			lib, err := content.Load(fsys)
			if err != nil {
				return fmt.Errorf("content is invalid, nothing published:\n%w", err)
			}
			d, closeDeps, err := open(cmd, needDB)
			if err != nil {
				return err
			}
			defer closeDeps()
			ctx := cmd.Context()
			tx, err := d.pool.Begin(ctx)
			if err != nil {
				return fmt.Errorf("database: %w", err)
			}
			defer tx.Rollback(ctx)
			res, err := store.PublishContentTx(ctx, tx, lib, actor)
			if err != nil {
				return err
			}
			for _, p := range res {
				fmt.Fprintf(cmd.OutOrStdout(), "%-11s %-8s %-32s v%-3d %s\n", p.Action, p.Kind, p.Name, p.Version, p.ID)
			}
			if dryRun {
				fmt.Fprintln(cmd.OutOrStdout(), "dry run: nothing written")
				return nil
			}
			return tx.Commit(ctx)
		},
	}
	defaultActor := "pipelinectl"
	if u, err := user.Current(); err == nil {
		defaultActor = u.Username
	}
	publish.Flags().StringVar(&dir, "dir", "", "publish from this folder (with clauses/ and templates/) instead of the built-in content")
	publish.Flags().StringVar(&actor, "actor", defaultActor, "who publishes (recorded as created_by)")
	publish.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be published, write nothing")
	cmd.AddCommand(publish)
	return cmd
}
