// Package migrations holds trustdocs' schema as numbered SQL files, embedded in the
// binaries and applied by `pipelinectl migrate` through goose. River's own tables are
// migrated by River's migrator in the same command (store.Migrate).
//
// The seed tables (docs/seeds) are written exactly as the blueprint gives them;
// every extension is a separate statement with a comment saying why it exists.
package migrations

import "embed"

// FS holds the *.sql files.
//
//go:embed *.sql
var FS embed.FS
