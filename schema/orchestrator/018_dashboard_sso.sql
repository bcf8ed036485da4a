-- Single sign-on (OpenID Connect) for the dashboard. A user who signed in through the
-- identity provider is an SSO user: sso is set, oidc_subject is the provider's stable id of
-- the person (the ID token's sub), and password_hash is empty, which no password matches.
-- Its role follows the provider's groups at every sign-in.
ALTER TABLE dashboard_users
    ADD COLUMN sso boolean NOT NULL DEFAULT false,
    ADD COLUMN oidc_subject text;
CREATE UNIQUE INDEX dashboard_users_oidc_subject ON dashboard_users (oidc_subject) WHERE oidc_subject IS NOT NULL;

-- The states of single sign-ons that came back, so that each is used once: a replayed
-- answer of the provider is refused. Only the SHA-256 of the state is kept; rows older than
-- a day go (a state expires after ten minutes anyway).
CREATE TABLE dashboard_oidc_states (
    state_hash  bytea PRIMARY KEY,
    used_at     timestamptz NOT NULL
);
CREATE INDEX dashboard_oidc_states_used ON dashboard_oidc_states (used_at);
