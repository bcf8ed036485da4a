-- What a sub-processor connector did for a request, so that a retried or concurrent call
-- (another worker, after a restart) replays it rather than acting twice.
CREATE TABLE connector_receipts (
    connector   text NOT NULL,
    request_id  text NOT NULL,
    action      text NOT NULL,
    outcome     jsonb NOT NULL,
    saved_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, request_id, action)
);
