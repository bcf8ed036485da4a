-- Attachment files live in object storage, outside the chat store's transactions. A full
-- erasure records here, in the transaction that deletes the attachments rows, the storage
-- keys whose objects must go; once that transaction has committed, dsr deletes the objects
-- and then these rows. A failed or interrupted deletion leaves its rows for the retry of the
-- same request to find. The rows live only until their objects are gone.
CREATE TABLE dsr_object_deletions (
    request_id   text NOT NULL,
    storage_key  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, storage_key)
);

-- An object may be shared by several attachments rows (a product that stores identical
-- uploads once); an erasure deletes only objects that no remaining row points at, which
-- this index lets it check per key.
CREATE INDEX attachments_storage_key ON attachments (storage_key);
