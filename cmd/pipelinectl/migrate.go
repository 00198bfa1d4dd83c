package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/infra"
	"trustdocs/store"
)

// The environment variables that name the password files of migrate --roles, when the
// flags are not given (a secret mounted as a file, as the services' *_FILE variables).
const (
	ownerPasswordFileEnv   = "DB_OWNER_PASSWORD_FILE"
	runtimePasswordFileEnv = "DB_RUNTIME_PASSWORD_FILE"
)

func migrateCmd() *cobra.Command {
	var roles bool
	var owner, runtime, ownerPWFile, runtimePWFile string
	cmd := &cobra.Command{
		Use:   "migrate [--roles [--owner NAME] [--runtime NAME]]",
		Short: "Apply the database migrations (River's and ours); safe to run again; --roles sets up the owner and runtime roles",
		Long: `migrate applies River's migrations and ours, under a lock, so it is safe to run again
and from several places at once.

With --roles it first sets up two login roles (README "Database roles"):

  --owner    owns the schema and every object in it, and is the only role that
             migrates (it can still rewrite evidence by disabling the table's trigger:
             keep its credentials with the administrators)
  --runtime  for the worker and pipelinectl: reads and writes the tables as the code
             does and nothing else (no DDL, no TRUNCATE, no UPDATE or DELETE of
             doc_sign_event, no access to the tables it never uses)

DATABASE_URL must then name an administrator (a superuser, or a role with CREATEROLE
that owns the database). Existing roles are corrected (no superuser or other special
attribute), objects other roles own are given to the owner, migrations run as the
owner, and the roles are recorded in the database. Passwords are read from files, the
flags' or those that DB_OWNER_PASSWORD_FILE and DB_RUNTIME_PASSWORD_FILE name; only
their SCRAM-SHA-256 verifiers go to the server, and they are never printed. Without a
password file a new role has no password (for logins by certificate or IAM) and an
existing role keeps its own.

Every later migrate, run as the owner (or an administrator: it acts as the owner),
grants the recorded runtime roles their privileges again on every table, those of new
migrations included, from the list in store/roles.go.`,
		Example: `  pipelinectl migrate
  DB_OWNER_PASSWORD_FILE=/run/secrets/db-owner DB_RUNTIME_PASSWORD_FILE=/run/secrets/db-app \
    pipelinectl migrate --roles --owner trustdocs_owner --runtime trustdocs_app
  DATABASE_URL=postgres://trustdocs_owner@db/trustdocs DATABASE_PASSWORD_FILE=/run/secrets/db-owner pipelinectl migrate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var spec store.Roles
			if roles {
				var err error
				if spec, err = rolesSpec(owner, runtime, ownerPWFile, runtimePWFile); err != nil {
					return err
				}
			} else {
				for _, f := range []string{"owner", "runtime", "owner-password-file", "runtime-password-file"} {
					if cmd.Flags().Changed(f) {
						return fmt.Errorf("--%s is for --roles", f)
					}
				}
			}
			d, closeDeps, err := open(cmd, needDB)
			if err != nil {
				return err
			}
			defer closeDeps()
			ctx, pool := cmd.Context(), d.pool
			if err := infra.RunChecks(ctx, []infra.Check{{Name: "postgres", Run: pool.Ping}}, 10*time.Second); err != nil {
				return fmt.Errorf("database unreachable: %s", infra.Reason(err))
			}
			var res store.MigrateResult
			if roles {
				res, err = store.MigrateWithRoles(ctx, pool, spec)
			} else {
				res, err = store.Migrate(ctx, pool)
			}
			if err != nil {
				return err
			}
			printMigrate(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&roles, "roles", false, "set up the owner and runtime roles first (DATABASE_URL names an administrator)")
	f.StringVar(&owner, "owner", "trustdocs_owner", "with --roles: the role that owns the schema and migrates")
	f.StringVar(&runtime, "runtime", "trustdocs_app", "with --roles: the role of the worker and pipelinectl")
	f.StringVar(&ownerPWFile, "owner-password-file", "", "with --roles: file holding the owner's password (default $"+ownerPasswordFileEnv+")")
	f.StringVar(&runtimePWFile, "runtime-password-file", "", "with --roles: file holding the runtime role's password (default $"+runtimePasswordFileEnv+")")
	return cmd
}

// rolesSpec assembles --roles from the flags, the password files defaulting to the
// environment's.
func rolesSpec(owner, runtime, ownerPWFile, runtimePWFile string) (store.Roles, error) {
	spec := store.Roles{Owner: owner, Runtime: runtime}
	for _, p := range []struct {
		flag, env, file string
		into            *string
	}{
		{"--owner-password-file", ownerPasswordFileEnv, ownerPWFile, &spec.OwnerPassword},
		{"--runtime-password-file", runtimePasswordFileEnv, runtimePWFile, &spec.RuntimePassword},
	} {
		name, file := p.flag, p.file
		if file == "" {
			name, file = p.env, strings.TrimSpace(os.Getenv(p.env))
		}
		if file == "" {
			continue
		}
		pw, err := readPasswordFile(file)
		if err != nil {
			return spec, fmt.Errorf("%s %s: %w", name, file, err)
		}
		*p.into = pw
	}
	return spec, nil
}

// readPasswordFile reads a mounted secret: surrounding whitespace dropped, an empty file
// refused (a secret mounted before it was written must not leave a role without its
// password). Errors name the path, never the content.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named by the caller
		}
		return "", fmt.Errorf("cannot read it: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", errors.New("the file is empty")
	}
	return pw, nil
}

func printMigrate(out io.Writer, res store.MigrateResult) {
	if r := res.Roles; r != nil {
		for _, name := range r.Created {
			fmt.Fprintf(out, "created role %s\n", name)
		}
		for _, name := range r.PasswordsSet {
			fmt.Fprintf(out, "set the password of %s\n", name)
		}
		if r.Reowned > 0 {
			fmt.Fprintf(out, "gave %d objects of the schema to %s\n", r.Reowned, res.MigratedAs)
		}
	}
	if res.MigratedAs != "" {
		fmt.Fprintf(out, "migrating as %s\n", res.MigratedAs)
	}
	for _, v := range res.RiverApplied {
		fmt.Fprintf(out, "applied river migration %03d\n", v)
	}
	for _, f := range res.Applied {
		fmt.Fprintf(out, "applied %s\n", f)
	}
	if len(res.Applied) == 0 && len(res.RiverApplied) == 0 {
		fmt.Fprintf(out, "schema is current (version %d)\n", res.Version)
	} else {
		fmt.Fprintf(out, "schema now at version %d\n", res.Version)
	}
	for _, name := range res.Granted {
		fmt.Fprintf(out, "granted %s its privileges, exactly store.RuntimeGrants, on the schema's %d tables and sequences\n", name, res.Relations)
	}
}
