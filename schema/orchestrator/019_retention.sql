-- Data minimisation of dsr's own record once the retention period (DSR_RETENTION) has
-- passed: the subject's email in a request, a mail case and a mail to the subject is
-- replaced by "hmac-sha256:" and the keyed hash of the suppression list (so NOT NULL, the
-- indexes and lower() keep working, and nothing matches a clear address any more), the
-- kept raw mail and its attachment digests are deleted, and minimised_at says when.
-- Rows are picked by their own state, never again: a second run changes nothing.
ALTER TABLE requests ADD COLUMN minimised_at timestamptz;
ALTER TABLE mail_cases ADD COLUMN minimised_at timestamptz;
ALTER TABLE mail_outbox ADD COLUMN minimised_at timestamptz;
ALTER TABLE mail_messages ADD COLUMN minimised_at timestamptz;

-- What a run looks for: final requests not yet minimised, by the time they became final.
CREATE INDEX requests_retention ON requests (completed_at) WHERE minimised_at IS NULL AND completed_at IS NOT NULL;
CREATE INDEX mail_cases_retention ON mail_cases (coalesce(closed_at, routed_at)) WHERE minimised_at IS NULL;
CREATE INDEX mail_outbox_request ON mail_outbox (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX mail_messages_retention ON mail_messages (taken_at) WHERE minimised_at IS NULL;
