// Package demo fills the reference chat store with synthetic data for one tenant, so that
// dsr can be tried end to end without a real product behind it (`dsr demo seed`).
//
// # What a seeded tenant looks like
//
// Seed creates the tenant's accounts row if it is missing, then:
//
//   - 8 members of staff: exactly one owner, 2 admins and 5 agents, with names from a dozen
//     European languages;
//   - Options.EndUsers website visitors (default 1000), each with a name, often a display
//     name, sometimes an avatar and a phone number, a locale, an IP address from the
//     documentation ranges and a browser;
//   - conversations: every visitor has at least one while there are enough, a few have many
//     (a Zipf-like distribution); about 10% are open (recent), the rest closed; each is
//     assigned to a member of staff;
//   - Options.Messages messages (default 10000), at least two per conversation when there
//     are enough, the visitor and the agent taking turns, the visitor first;
//     messages.author_name is the author's name copied at write time. Bodies are plausible
//     support chat made from templates and sometimes name the visitor ("Hi, I'm Jane") or
//     give their email, as real transcripts do;
//   - attachments on about 3% of messages (screenshots and invoices from visitors, guides
//     and labels from agents), with a storage key but no content;
//   - OAuth tokens (hashes only) for every member of staff and about 15% of visitors,
//     sessions for staff and about half of the visitors, saved searches for staff and a few
//     visitors.
//
// Timestamps fall in the year after Epoch; nothing depends on the clock, and the random
// choices are seeded from the tenant id, so the same tenant id, name and sizes give the same
// rows (and the same ids when seeded into an empty store).
//
// # Well-known subjects
//
// To try requests against a seeded tenant, with <domain> = Domain(tenant name), e.g.
// "acme-corp.example" for "Acme Corp" and "demo-1b4e28ba.example" for the default name
// "Demo 1b4e28ba":
//
//   - visitor1@example.com: an end-user with at least one open conversation (their most
//     recent), an OAuth token, a session and a saved search: erasure is blocked until a DPO
//     overrides.
//   - visitor2@example.com: an end-user whose conversations are all closed: erasure runs.
//   - visitor<i>@example.com for i up to Options.EndUsers: every visitor. The same addresses
//     exist in every seeded tenant: tenants are separate controllers.
//   - owner@<domain>: the account owner, whose staff profile erasure keeps (Art. 17(3)).
//   - agent1@<domain> and agent2@<domain>: admins; agent3@<domain> to agent7@<domain>:
//     agents, whose erasure keeps their name in transcripts unless the scope is full.
//
// # Loading
//
// Rows are generated as they are sent to PostgreSQL with one COPY per table, in one
// transaction, never held in memory; ids of agents, end-users, conversations and messages
// are reserved from their sequences beforehand, so several tenants can be seeded into the
// same store, even at once. A million messages (100,000 end-users) load in about 20 seconds
// on a two-core machine (see BenchmarkSeed).
package demo
