-- The privacy mailbox: every mail taken from it, the cases that mail requests open (identity
-- verification, then one request per controller holding the subject's data), and the mail
-- dsr sends to subjects, queued so that a failed send is retried, never lost.

-- One row per mail taken from the mailbox, once per Message-ID (message_key). The raw mail
-- is kept sealed (AES-256-GCM under DSR_SECRET_KEY) as evidence; once the sender's identity
-- is verified its attachments (identity documents) are cut out and only their digests stay.
CREATE TABLE mail_messages (
    id              uuid PRIMARY KEY,
    message_key     text NOT NULL UNIQUE,
    taken_at        timestamptz NOT NULL DEFAULT now(),
    size            bigint NOT NULL,
    sha256          text NOT NULL,
    raw_sealed      bytea,
    -- Where the mail went in the mailbox: processed, triage or quarantine.
    folder          text NOT NULL CHECK (folder IN ('processed', 'triage', 'quarantine')),
    kind            text NOT NULL,
    language        text NOT NULL DEFAULT '',
    types           text[] NOT NULL DEFAULT '{}',
    confidence      real NOT NULL DEFAULT 0,
    reasons         text[] NOT NULL DEFAULT '{}',
    -- Why a human must look (triage) or why it could not be read (quarantine).
    note            text NOT NULL DEFAULT '',
    case_id         uuid,
    attachments     jsonb NOT NULL DEFAULT '[]',
    redacted_at     timestamptz
);
CREATE INDEX mail_messages_folder ON mail_messages (folder, taken_at DESC);
CREATE INDEX mail_messages_case ON mail_messages (case_id) WHERE case_id IS NOT NULL;

-- A request that came by mail, before and after the subject proved they hold the address.
-- Only keyed hashes of the link token and the code are kept.
CREATE TABLE mail_cases (
    id              uuid PRIMARY KEY,
    message_id      uuid NOT NULL UNIQUE REFERENCES mail_messages (id),
    reference       text NOT NULL UNIQUE,
    subject_email   text NOT NULL,
    language        text NOT NULL,
    types           text[] NOT NULL,
    received_at     timestamptz NOT NULL,
    token_hash      bytea NOT NULL UNIQUE,
    code_hash       bytea NOT NULL,
    expires_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    reminded_at     timestamptz,
    verified_at     timestamptz,
    verified_by     text,
    -- Set once the case's requests exist (one per tenant and right), or none were needed.
    routed_at       timestamptz,
    -- verified, no_data, expired; NULL while open.
    outcome         text CHECK (outcome IN ('verified', 'no_data', 'expired')),
    closed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_cases_open ON mail_cases (created_at) WHERE closed_at IS NULL;
CREATE INDEX mail_cases_email ON mail_cases (lower(subject_email));

CREATE TABLE mail_case_requests (
    case_id     uuid NOT NULL REFERENCES mail_cases (id),
    request_id  uuid NOT NULL REFERENCES requests (id),
    PRIMARY KEY (case_id, request_id)
);
CREATE UNIQUE INDEX mail_case_requests_request ON mail_case_requests (request_id);

-- Mail to data subjects. A row is written in the same transaction as the change it tells
-- about, and sent later; a failed send is tried again with backoff, for as long as it takes.
-- secrets_sealed holds what the mail must say but the database must not (code, link token).
CREATE TABLE mail_outbox (
    id               uuid PRIMARY KEY,
    dedupe_key       text NOT NULL UNIQUE,
    case_id          uuid REFERENCES mail_cases (id),
    request_id       uuid REFERENCES requests (id),
    kind             text NOT NULL,
    language         text NOT NULL,
    recipient        text NOT NULL,
    data             jsonb NOT NULL DEFAULT '{}',
    secrets_sealed   bytea,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    message_id       text,
    sent_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_case ON mail_outbox (case_id);

-- An erasure waits for the same subject's open access and portability requests.
CREATE INDEX requests_subject ON requests (tenant_id, lower(subject_email));
