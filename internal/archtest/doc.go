// Package archtest holds no code, only arch_test.go: the architecture rules that an
// import linter cannot see, checked by `go test ./internal/archtest/` (run by `make
// lint` after golangci-lint). It needs no running services: it parses the module's Go
// files and runs `go list`.
//
//   - SQL lives in store/ (and migrations/; testkit/ and infra/'s readiness probe
//     may query too): no other non-test Go file has a string literal shaped like a
//     SQL statement.
//   - store/ does not depend, even indirectly, on the S3 or DynamoDB clients (they
//     belong to docstore/ and trustcache/).
//   - trust/ and docpack/ do not depend, even indirectly, on store/: they are pure
//     domain packages, and the caller loads and saves.
//
// The direct imports are also held by depguard in .golangci.yml; these checks add the
// transitive dependencies and the SQL, which no linter configured there looks at.
package archtest
