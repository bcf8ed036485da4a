-- Backups of the chat store: a catalog of the backups taken (which say until when copies of
-- erased data live on), and a tombstone per erasure or restriction, so that after a restore
-- `dsr backups replay` can apply them again. A tombstone names its subject by a keyed hash
-- only (HMAC-SHA256, per tenant, of the trimmed lower-cased email), never in the clear.

CREATE TABLE backups (
    id          text PRIMARY KEY CHECK (id <> ''),
    taken_at    timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    region      text NOT NULL CHECK (region IN ('eu', 'us', 'apac')),
    kind        text NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'incremental', 'wal', 'snapshot')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > taken_at)
);
-- Until when a region's backups hold data: the latest expiry of those already taken.
CREATE INDEX backups_region_taken ON backups (region, taken_at);

-- One per request and action: a retried or concurrent connector call finds the row. The
-- request id is not a foreign key: the connector keys it by the id it is given, and the
-- record of the request lives in requests. retained_until is what the request's outcome
-- told the subject, kept so that a retry tells the same.
CREATE TABLE tombstones (
    id              bigserial PRIMARY KEY,
    request_id      uuid NOT NULL,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    action          text NOT NULL CHECK (action IN ('erasure', 'restriction')),
    subject_hash    bytea NOT NULL CHECK (octet_length(subject_hash) = 32),
    erasure_scope   text CHECK (erasure_scope IN ('profile', 'full')),
    retained_until  timestamptz,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (request_id, action),
    CHECK ((action = 'erasure') = (erasure_scope IS NOT NULL))
);
CREATE INDEX tombstones_recorded ON tombstones (recorded_at, id);
