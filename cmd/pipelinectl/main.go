// Command pipelinectl is trustdocs' operations tool: schema migrations, provisioning of
// the AWS resources, content, documents, and on-call work (dead letters, jobs, traces;
// see docs/RUNBOOK.md). Every command has --help.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pipelinectl: %v\n", err)
		os.Exit(1)
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pipelinectl",
		Short: "Operate the trustdocs pipeline",
		Long: `pipelinectl operates the trustdocs pipeline.

Configuration comes from the same environment variables as the worker and receiver
(DATABASE_URL, TRUSTDOCS_STACK, AWS_*, DOCS_BUCKET, queue and topic names; see README.md).
With none set it talks to the local stack started by ` + "`make up`" + `.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(migrateCmd(), bootstrapCmd(), checkCmd(), publishCmd(), contentCmd(), docCmd(), sandboxCmd(),
		cacheCmd(), dlqCmd(), jobsCmd(), traceCmd(), pruneCmd())
	root.AddCommand(packsCmd())
	return root
}

// writeJSON prints v as indented JSON: what every --json flag prints.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
