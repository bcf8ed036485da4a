-- OpenDSR status callbacks ride the webhook outbox: a delivery goes either to a tenant's
-- subscription or to a status callback URL an OpenDSR controller named for one request.
-- A callback's event holds the status it reports ({"request_status": ...}); its body is
-- built and signed with the processor's key at each attempt.
ALTER TABLE webhook_deliveries ALTER COLUMN subscription_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN callback_url text;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_one_target
    CHECK ((subscription_id IS NULL) <> (callback_url IS NULL));

-- opendsr_callbacks.last_status is now the last status queued for the URL, set in the
-- transaction of the change; last_sent_at is when a callback to it was last delivered.
COMMENT ON COLUMN opendsr_callbacks.last_status IS 'the last OpenDSR status queued for this URL';
