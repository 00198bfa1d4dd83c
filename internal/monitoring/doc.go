// Package monitoring holds no code, only monitoring_test.go: the checks that keep the
// alerting rules and the dashboard in deploy/ true to the binaries and to the runbook.
//
//   - promtool checks deploy/prometheus/alerts.yml and prometheus.yml, runs the rules'
//     unit tests (alerts_test.yml, alerts_week_test.yml), and parses every query of the
//     Grafana dashboard (deploy/grafana/trustdocs.json). promtool is found through
//     $PROMTOOL, PATH, or where `make rules` installs it ($TRUSTDOCS_CACHE/tools); a
//     missing one fails the test (under -short it is skipped, with the reason).
//   - Every row of the "Alerts" table in docs/RUNBOOK.md has its rules, every rule a
//     severity (page or ticket), a summary, a description and a runbook anchor that
//     exists, and a unit test that fires it and one that does not.
//   - The dashboard parses, takes its data source from the ${datasource} variable and
//     has a panel for each part of the pipeline.
//   - Against the local stack (skipped under -short, like every test that needs it): a
//     real worker and receiver are built, started and given a little traffic, and every
//     trustdocs_* name that the rules, their tests or the dashboard use must be on their
//     /metrics (a few counters that only exist once a provider is called are allowed
//     by name, with the reason, if the code registers them), with the label values the
//     rules match on; and every trustdocs_* metric they export is on the dashboard.
//
// `make test` installs promtool (make rules) before it runs go test ./...
package monitoring
