// Package devstack holds no code, only devstack_test.go: tests of scripts/devstack.sh
// (`make up`, `make down`), run by `make test`. Each test runs the script against its
// own TRUSTDOCS_CACHE (a temporary directory whose bin/ and npm/ link to the shared
// installs, with its own run/ state and lock) and its own free ports, so it never starts,
// stops or waits for the stack the other tests use. PostgreSQL is replaced by stub
// pg_isready, pg_ctlcluster, psql and createdb commands on PATH: the machine's server is
// never touched, and the stub pg_ctlcluster starts a daemon that keeps the descriptors it
// inherits, as PostgreSQL does.
//
//   - TestUpLeavesNoLockHolder: after `up` starts everything (PostgreSQL included), no
//     process holds run/lock open, and a second `up` returns at once; `down` stops
//     exactly what `up` started.
//   - TestUpWaitsForPausedMinIO: a MinIO paused past `up`'s 2s probe is waited for, not
//     started again, and its pid file keeps naming it.
//   - TestDownSparesForeignPids: `down` does not signal a process that a pid file names
//     but that the script did not start (an unrelated `sleep`), and removes that pid file
//     as stale.
//   - TestUpWaitsForSlowListener: a port held by a listener that answers slowly is
//     waited for, and nothing is started on it; one that never answers makes `up` fail
//     with a clear message after TRUSTDOCS_BUSY_WAIT seconds, still starting nothing.
//
// They need Linux (/proc). Those that run `up` need the installs of the shared cache
// (`make up` makes them) and are skipped with -short.
package devstack
