// Package backups is the connector for the backups of the chat store. Backups are not
// searched, exported or edited: a backup is a sealed copy that leaves when it expires. What
// a request does to them instead is recorded in dsr's own database, so that it survives a
// restore:
//
//   - The catalog (table backups) lists each backup with when it was taken, when it expires,
//     its region and its kind. It says until when copies of a subject's data live on: the
//     latest expiry of the backups of the tenant's region taken until now.
//   - Erase and Restrict record a tombstone (table tombstones): the request id, the tenant,
//     the action, the erasure scope and a keyed hash of the subject's email, never the
//     email itself. The outcome counts one tombstone and carries RetainedUntil, the date by
//     which the last backup holding the subject's data expires (nil when none does). One
//     tombstone per request and action: a retry returns the stored one, Replayed.
//   - Find never finds anyone, Blockers never blocks, Export writes nothing, Rectify and
//     Object change nothing (their outcomes say why) after checking their input as the
//     chat store does.
//
// # Replay after a restore
//
// Connector.Replay takes the tombstones recorded after an instant, in order, finds their
// subjects in the chat store as it is now by hashing its emails (streamed, tenant by tenant;
// only the set of tombstone hashes is held in memory) and applies each erasure or
// restriction again through the chat-store connector, under the tombstone's request id and
// with Override set. The chat store's receipts make a second run a no-op; a restore from a
// dump taken before the request also brings back a chat store without the receipt, so the
// request is applied again. Each re-application is an event on the request.
//
// # The subject hash
//
// HMAC-SHA256 of the tenant id, a zero byte and the trimmed, lower-cased email, under a key
// derived from DSR_SECRET_KEY for this use only (so that it matches no other hash dsr keeps,
// such as the suppression list's).
package backups
