// Package domain is dsr's vocabulary: the rights a request exercises, its statuses (and
// which are final), the kinds of event in its record, the regions a tenant's data lives
// in, the purposes of an objection, the scopes of an erasure and of an API key, who acts,
// and the receipts that connectors give. Each is a typed value with its one list; every other package uses
// these instead of spelling them again, in Go or in SQL (statements take them as
// parameters).
//
// The package does no I/O and imports nothing outside the standard library, so that the
// workflows, which must stay deterministic, can use it.
package domain
