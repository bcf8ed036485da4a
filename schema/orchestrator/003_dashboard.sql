-- The DPO dashboard: its users, their server-side sessions and failed sign-ins. Names carry
-- a dashboard_ prefix because the chat store (which may share a database) has a sessions
-- table of its own.

-- Staff of the vendor's privacy team. Passwords are kept as bcrypt hashes only.
CREATE TABLE dashboard_users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    role           text NOT NULL CHECK (role IN ('viewer', 'dpo', 'admin')),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL DEFAULT '',
    last_login_at  timestamptz,
    disabled_at    timestamptz
);
CREATE UNIQUE INDEX dashboard_users_email ON dashboard_users (lower(email));

-- One row per signed-in browser. The cookie holds a random 256-bit id; only its SHA-256 is
-- stored, so a copy of this table signs nobody in. csrf_token is the per-session token
-- every form posts back. A session ends when it is idle too long or at expires_at.
CREATE TABLE dashboard_sessions (
    id_hash        bytea PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES dashboard_users (id) ON DELETE CASCADE,
    csrf_token     text NOT NULL,
    created_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    -- A one-time notice for the next page (the outcome of an action).
    flash_kind     text,
    flash_message  text
);
CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_seen ON dashboard_sessions (last_seen_at);

-- Failed sign-ins, for the rate limit per account and per client address. Both are kept as
-- SHA-256 hashes: the limit needs equality, not the values. Rows older than a day go.
CREATE TABLE dashboard_login_failures (
    id            bigserial PRIMARY KEY,
    account_hash  text NOT NULL,
    ip_hash       text NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX dashboard_login_failures_account ON dashboard_login_failures (account_hash, at);
CREATE INDEX dashboard_login_failures_ip ON dashboard_login_failures (ip_hash, at);
