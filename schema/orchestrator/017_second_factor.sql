-- A second factor for dashboard users who sign in with a password: a TOTP secret (RFC 6238),
-- sealed under DSR_SECRET_KEY, and one-time recovery codes.
--
-- totp_pending_sealed holds a secret being set up until its first code confirms it;
-- totp_last_step is the time step of the last code accepted, so that a code works once.
ALTER TABLE dashboard_users
    ADD COLUMN totp_sealed          bytea,
    ADD COLUMN totp_pending_sealed  bytea,
    ADD COLUMN totp_enabled_at      timestamptz,
    ADD COLUMN totp_last_step       bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT dashboard_users_totp CHECK ((totp_sealed IS NULL) = (totp_enabled_at IS NULL));

-- Recovery codes, each usable once, kept as keyed hashes (HMAC-SHA256 under a key derived
-- from DSR_SECRET_KEY): a copy of the table reveals none.
CREATE TABLE dashboard_recovery_codes (
    user_id    uuid NOT NULL REFERENCES dashboard_users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A session whose password was right but whose second factor is still to come: 'code'
-- (the user has one and must enter it) or 'enrol' (the user's role requires one and the user
-- must set it up). Such a session opens no other page. NULL: signed in.
ALTER TABLE dashboard_sessions
    ADD COLUMN pending text CHECK (pending IN ('code', 'enrol'));
