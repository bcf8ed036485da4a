-- Webhooks: a tenant's subscriptions, their signing secrets (sealed), the events queued for
-- them in the transaction of the change they report (an outbox), one delivery per event and
-- subscription, and each delivery's attempts. Neither events nor attempts hold personal
-- data: an event names the request by id, an attempt keeps a status code, a latency and
-- the kind of error, never the receiver's response.

CREATE TABLE webhook_subscriptions (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    url          text NOT NULL,
    -- The event types sent; empty: all of them.
    events       text[] NOT NULL DEFAULT '{}',
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id, id);

-- Signing secrets, sealed under DSR_SECRET_KEY. The current one has no expiry; a rotated
-- one signs on until expires_at.
CREATE TABLE webhook_secrets (
    id               uuid PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    sealed           bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz
);
CREATE INDEX webhook_secrets_subscription ON webhook_secrets (subscription_id);

CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    request_id  uuid NOT NULL REFERENCES requests (id),
    type        text NOT NULL,
    -- The body sent, byte for byte as signed.
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY,
    subscription_id   uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id          uuid NOT NULL REFERENCES webhook_events (id),
    status            text NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,
    last_status_code  integer,
    last_latency_ms   integer,
    last_error        text,
    first_attempt_at  timestamptz,
    next_attempt_at   timestamptz,
    delivered_at      timestamptz,
    failed_at         timestamptz,
    -- Set once the delivery's workflow is known to be started; the resume pass starts
    -- those without.
    started_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id DESC);
CREATE INDEX webhook_deliveries_unstarted ON webhook_deliveries (id) WHERE started_at IS NULL;

CREATE TABLE webhook_attempts (
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n            integer NOT NULL,
    at           timestamptz NOT NULL,
    status_code  integer,
    latency_ms   integer NOT NULL,
    error_kind   text,
    PRIMARY KEY (delivery_id, n)
);
