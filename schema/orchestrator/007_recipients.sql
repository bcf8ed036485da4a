-- The Art. 19 ledger: for a rectification, erasure or restriction, one row per recipient
-- (sub-processor) with its latest status: notified, confirmed, failed, or exempt with the
-- reason.
CREATE TABLE request_recipients (
    request_id  uuid NOT NULL REFERENCES requests (id),
    name        text NOT NULL,
    kind        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('notified', 'confirmed', 'failed', 'exempt')),
    reason      text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, name)
);
