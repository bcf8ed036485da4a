// Package temporalserver runs the official Temporal server for tests, as a production
// cluster runs it: the binaries built from the pinned go.temporal.io/server module
// (cmd/server and cmd/tools/sql), PostgreSQL persistence set up by the official schema
// tool, and TLS on the frontend with certificates made for the test (NewCerts). It links
// none of the server's packages into the test binary: it builds and starts processes.
package temporalserver
