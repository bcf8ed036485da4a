// Package chatstore is the connector for the reference chat store (schema/chatstore): the
// live-chat product's own PostgreSQL database.
//
// # Who the subject is
//
// A subject is matched inside its tenant (accounts.id = Subject.TenantID) by case-insensitive
// email, in both end_users and agents: the same person may be a visitor and a member of staff,
// and every action applies to all the rows that match. Roles reported by Find are "end_user"
// and the agents.role values "agent", "admin" and "owner".
//
// # What each right does
//
//   - Access: Export streams the categories of Schema in order (profile, conversations,
//     messages, attachments, oauth_tokens, sessions, saved_searches), one Begin per category
//     even when it has no rows, inside one read-only snapshot. Token hashes are never exported.
//   - Portability: Export with ExportScope.Portability streams only what the subject provided:
//     their profile, the messages they wrote and the files attached to those messages.
//   - Rectification: the allowed fields are name, display_name, email, avatar_url, phone and
//     locale for end-users and name, display_name, email and avatar_url for agents. One
//     UPDATE per table. messages.author_name is a copy made at write time and is not
//     rewritten.
//   - Erasure: see Erase. True deletion (rows deleted, columns set to NULL), never masking,
//     one transaction per subject, set-based statements.
//   - Restriction: restricted_at is set on the subject's rows where it is not set yet.
//   - Objection: the purposes are added to processing_objections (a set: no duplicates).
//
// # Receipts and retries
//
// Every mutating action (Rectify, Erase, Restrict, Object) runs in one transaction that first
// takes an advisory lock on the request id, then looks for a receipt in dsr_receipts for
// (request id, action). When one exists the stored Outcome is returned with Replayed set and
// nothing changes; otherwise the action runs and its Outcome is stored as the receipt in the
// same transaction. A retried or concurrent call with the same request id therefore neither
// fails nor acts twice. Receipts hold counts and field names, never personal data.
package chatstore
