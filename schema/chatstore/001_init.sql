-- The reference chat store: the live-chat product's own tables, as the chat-store connector
-- finds them. Names of tables and of the core columns are fixed by the product.

CREATE TABLE accounts (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id                     bigserial PRIMARY KEY,
    account_id             uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role                   text NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
    name                   text,
    email                  text,
    display_name           text,
    avatar_url             text,
    restricted_at          timestamptz,
    processing_objections  text[] NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_account_email ON agents (account_id, lower(email));
CREATE UNIQUE INDEX agents_one_owner ON agents (account_id) WHERE role = 'owner';

CREATE TABLE end_users (
    id                     bigserial PRIMARY KEY,
    account_id             uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email                  text,
    name                   text,
    display_name           text,
    avatar_url             text,
    phone                  text,
    locale                 text,
    last_ip                text,
    user_agent             text,
    restricted_at          timestamptz,
    processing_objections  text[] NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX end_users_account_email ON end_users (account_id, lower(email));

CREATE TABLE conversations (
    id            bigserial PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    requester_id  bigint REFERENCES end_users (id) ON DELETE SET NULL,
    agent_id      bigint REFERENCES agents (id) ON DELETE SET NULL,
    status        text NOT NULL CHECK (status IN ('open', 'closed')),
    subject       text,
    channel       text NOT NULL DEFAULT 'web',
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz
);
CREATE INDEX conversations_requester ON conversations (requester_id);
CREATE INDEX conversations_agent ON conversations (agent_id);
CREATE INDEX conversations_account ON conversations (account_id);

CREATE TABLE messages (
    id               bigserial PRIMARY KEY,
    conversation_id  bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_kind      text NOT NULL CHECK (author_kind IN ('end_user', 'agent', 'system')),
    author_id        bigint,
    author_name      text,
    body             text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id);
CREATE INDEX messages_author ON messages (author_kind, author_id);

CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    filename      text NOT NULL,
    content_type  text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes    bigint NOT NULL DEFAULT 0,
    storage_key   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message ON attachments (message_id);

-- Credentials and state that belong to exactly one end-user or one agent.
CREATE TABLE oauth_tokens (
    id                 bigserial PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    end_user_id        bigint REFERENCES end_users (id) ON DELETE CASCADE,
    agent_id           bigint REFERENCES agents (id) ON DELETE CASCADE,
    provider           text NOT NULL,
    access_token_hash  text NOT NULL,
    scopes             text NOT NULL DEFAULT '',
    expires_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((end_user_id IS NULL) <> (agent_id IS NULL))
);
CREATE INDEX oauth_tokens_end_user ON oauth_tokens (end_user_id);
CREATE INDEX oauth_tokens_agent ON oauth_tokens (agent_id);

CREATE TABLE sessions (
    id            bigserial PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    end_user_id   bigint REFERENCES end_users (id) ON DELETE CASCADE,
    agent_id      bigint REFERENCES agents (id) ON DELETE CASCADE,
    ip_address    text,
    user_agent    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((end_user_id IS NULL) <> (agent_id IS NULL))
);
CREATE INDEX sessions_end_user ON sessions (end_user_id);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE saved_searches (
    id           bigserial PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    end_user_id  bigint REFERENCES end_users (id) ON DELETE CASCADE,
    agent_id     bigint REFERENCES agents (id) ON DELETE CASCADE,
    name         text NOT NULL,
    query        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((end_user_id IS NULL) <> (agent_id IS NULL))
);
CREATE INDEX saved_searches_end_user ON saved_searches (end_user_id);
CREATE INDEX saved_searches_agent ON saved_searches (agent_id);

-- What dsr did here: one receipt per request and action, written in the same transaction as
-- the change itself, so that a retried activity finds the receipt instead of acting twice.
-- It holds counts and ids, never the erased values.
CREATE TABLE dsr_receipts (
    request_id  text NOT NULL,
    action      text NOT NULL,
    outcome     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, action)
);
