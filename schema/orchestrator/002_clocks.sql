-- The two clocks of a request: what the SLA reports and the dashboard read.

ALTER TABLE requests
    -- Set once the target (or legal deadline) passed with the request still open; the
    -- reason is what held the request up at that moment.
    ADD COLUMN at_risk_at          timestamptz,
    ADD COLUMN target_breached_at  timestamptz,
    ADD COLUMN legal_breached_at   timestamptz,
    ADD COLUMN breach_reason       text,
    -- Extension to three months (Art. 12(3)): when and why.
    ADD COLUMN extended_at         timestamptz,
    ADD COLUMN extension_reason    text,
    -- Clarification pauses: the one running, and the days all pauses moved the deadlines.
    ADD COLUMN paused_at           timestamptz,
    ADD COLUMN paused_days         integer NOT NULL DEFAULT 0;

CREATE INDEX requests_received ON requests (received_at);
CREATE INDEX requests_completed ON requests (completed_at) WHERE completed_at IS NOT NULL;
