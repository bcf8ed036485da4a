package chatstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"dsr/connectors"
	"dsr/internal/domain"
	"dsr/internal/platform/objectstore"
)

// Option configures a Connector.
type Option func(*Connector)

// WithObjects gives the connector the object store that holds the files attachments rows
// point at (attachments.storage_key). A full erasure then deletes the files of the
// attachments it deletes; see Erase. Without it, files are left in place and the outcome
// says so.
func WithObjects(store objectstore.Store) Option {
	return func(c *Connector) { c.objects = store }
}

// RowsAttachmentObjects is the key of Outcome.Rows that counts the attachment files an
// erasure deleted from the object store.
const RowsAttachmentObjects = "attachment_objects"

// Notes about attachment files. They carry counts, never keys: keys may hold file names.
const (
	noteNoObjectStore = "no object store is configured: the files of the %d deleted attachment(s) were not deleted from object storage"
	noteSharedObjects = "%d attachment file(s) are also referenced by attachments of other messages and were kept"
)

// objectDeletionBatch is how many keys one round of deleteObjects handles.
const objectDeletionBatch = 500

// queueAttachmentsSQL deletes a full erasure's attachments rows and, in the same statement,
// queues their storage keys in dsr_object_deletions; it returns how many rows it deleted. $1
// are the end_users ids, $2 the request id.
const (
	queueAttachmentsSQL = `WITH gone AS (` + deleteAttachmentsSQL + `
    RETURNING a.storage_key),
queued AS (INSERT INTO dsr_object_deletions (request_id, storage_key)
    SELECT DISTINCT $2, storage_key FROM gone ON CONFLICT DO NOTHING)
SELECT count(*) FROM gone`
	// unqueueSharedSQL drops the queued keys that attachments rows still point at: the
	// object is not the subject's alone. It returns how many it dropped.
	unqueueSharedSQL = `DELETE FROM dsr_object_deletions d WHERE d.request_id = $1
    AND EXISTS (SELECT 1 FROM attachments a WHERE a.storage_key = d.storage_key)`
	countQueuedSQL = `SELECT count(*) FROM dsr_object_deletions WHERE request_id = $1`
	nextQueuedSQL  = `SELECT storage_key FROM dsr_object_deletions WHERE request_id = $1 ORDER BY storage_key LIMIT $2`
	doneQueuedSQL  = `DELETE FROM dsr_object_deletions WHERE request_id = $1 AND storage_key = ANY($2::text[])`
)

// deleteAttachmentsQueued deletes the attachments rows of a full end-user erasure, like the
// attachment steps of eraseEndUsers, and queues the keys of the objects to delete once the
// transaction commits.
func deleteAttachmentsQueued(ctx context.Context, tx *sqlx.Tx, ids []int64, requestID string, out *domain.Outcome) error {
	var n int64
	if err := tx.GetContext(ctx, &n, queueAttachmentsSQL, pq.Array(ids), requestID); err != nil {
		return fmt.Errorf("delete the attachments of the end-user's messages and conversations: %w", err)
	}
	out.Rows[RowsAttachments] += n
	shared, err := exec(ctx, tx, "keep attachment files other attachments share", unqueueSharedSQL, requestID)
	if err != nil {
		return err
	}
	if shared > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf(noteSharedObjects, shared))
	}
	var queued int64
	if err := tx.GetContext(ctx, &queued, countQueuedSQL, requestID); err != nil {
		return fmt.Errorf("count attachment files to delete: %w", err)
	}
	out.Rows[RowsAttachmentObjects] += queued
	return nil
}

// deleteObjects deletes the objects an erasure of requestID queued, in batches, and removes
// each key from the queue once its object is gone. It is safe to run again and concurrently:
// deleting a missing object succeeds. On failure the keys not yet deleted stay queued for
// the retry of the same request. Keys that attachments rows point at again (an identical
// upload stored once) are dropped from the queue and their objects kept.
func (c *Connector) deleteObjects(ctx context.Context, requestID string) error {
	if _, err := c.db.ExecContext(ctx, unqueueSharedSQL, requestID); err != nil {
		return fmt.Errorf("delete attachment files: skip shared files: %w", err)
	}
	for {
		keys := []string{}
		if err := c.db.SelectContext(ctx, &keys, nextQueuedSQL, requestID, objectDeletionBatch); err != nil {
			return fmt.Errorf("delete attachment files: read queue: %w", err)
		}
		if len(keys) == 0 {
			return nil
		}
		deleted := 0
		var failed error
		for _, key := range keys {
			if err := c.objects.Delete(ctx, key); err != nil {
				failed = err
				break
			}
			deleted++
		}
		if deleted > 0 {
			// A fresh context: the objects are gone, record it even when ctx has ended.
			if _, err := c.db.ExecContext(context.WithoutCancel(ctx), doneQueuedSQL, requestID, pq.Array(keys[:deleted])); err != nil {
				return fmt.Errorf("delete attachment files: update queue: %w", err)
			}
		}
		if failed != nil {
			if errors.Is(failed, objectstore.ErrInvalidKey) {
				// The store cannot hold an object under this key; retrying cannot change
				// that. A person must look at the key (in dsr_object_deletions).
				return fmt.Errorf("delete attachment files: %d left: %w: %w", len(keys)-deleted, failed, connectors.ErrInvalid)
			}
			return fmt.Errorf("delete attachment files: %d left in this batch: %w", len(keys)-deleted, failed)
		}
	}
}
