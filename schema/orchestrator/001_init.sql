-- dsr's own record. Temporal runs the requests; this database is what dashboards, the API and
-- reports read, and what an auditor is shown.

CREATE TABLE tenants (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    region       text NOT NULL CHECK (region IN ('eu', 'us', 'apac')),
    country      text NOT NULL,
    tz           text NOT NULL,
    target_days  integer NOT NULL DEFAULT 4 CHECK (target_days BETWEEN 1 AND 20),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- API keys are shown once; only a SHA-256 of the (random, 256-bit) key is kept.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    prefix      text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE requests (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    type              text NOT NULL CHECK (type IN ('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection')),
    status            text NOT NULL CHECK (status IN ('received', 'verifying', 'awaiting_approval', 'in_progress', 'waiting', 'completed', 'denied', 'canceled', 'failed')),
    status_reason     text,
    source            text NOT NULL CHECK (source IN ('api', 'mail', 'dashboard')),
    subject_email     text NOT NULL,
    params            jsonb NOT NULL DEFAULT '{}',
    reference         text,
    idempotency_key   text,
    request_hash      text,
    received_at       timestamptz NOT NULL,
    clock_started_at  timestamptz,
    target_due        date,
    legal_due         date,
    extended_due      date,
    completed_at      timestamptz,
    result            jsonb,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX requests_idempotency ON requests (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX requests_tenant_id ON requests (tenant_id, id DESC);
CREATE INDEX requests_open ON requests (status) WHERE status NOT IN ('completed', 'denied', 'canceled', 'failed');

-- Every state change of a request, appended by a workflow activity. dedupe_key makes a
-- retried activity write its event once.
CREATE TABLE request_events (
    id          bigserial PRIMARY KEY,
    request_id  uuid NOT NULL REFERENCES requests (id),
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    status      text,
    actor       text NOT NULL,
    message     text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    dedupe_key  text NOT NULL,
    UNIQUE (request_id, dedupe_key)
);
CREATE INDEX request_events_request ON request_events (request_id, id);

CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER request_events_append_only
    BEFORE UPDATE OR DELETE ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_append_only();
CREATE TRIGGER request_events_no_truncate
    BEFORE TRUNCATE ON request_events
    FOR EACH STATEMENT EXECUTE FUNCTION request_events_append_only();

-- Objections outlive erasure: the subject is kept only as a keyed hash of their email.
CREATE TABLE suppressions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    email_hash  text NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('marketing', 'analytics', 'profiling')),
    request_id  uuid NOT NULL REFERENCES requests (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email_hash, purpose)
);

-- Facts about this installation, e.g. the fingerprint of the secret key, so that a process
-- started with another key refuses to run instead of hashing subjects differently.
CREATE TABLE settings (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
