// Package app is dsr's one wiring: it builds the whole application from a Config, for
// `dsr serve` and `dsr worker`, for the other commands (Open: the databases alone), for the
// tests' environment and for the bench.
//
// What it builds, in order: both PostgreSQL databases, migrated (the orchestrator's record,
// store.Store, and the chat store, reached only through its connector); the attachments'
// object store; Temporal (the embedded server, or a client of TEMPORAL_ADDRESS); the mailer;
// the connectors (chat store, backups, the sub-processors of the registry); the activities;
// dispatch, which speaks to Temporal for the rest; the mailroom when IMAP_URL is set; and in
// ModeAll the HTTP handler (API, dashboard, subjects' pages, probes, metrics). Start then
// runs the workers, and Serve the HTTP server.
package app
