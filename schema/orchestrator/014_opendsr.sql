-- Requests submitted over OpenDSR (formerly OpenGDPR): the controller's subject_request_id
-- kept with dsr's request, so that status and cancellation find it, and the status callback
-- URLs the controller named, each with the last status sent to it. No identity is kept
-- here: the request row holds the subject as for any request.
CREATE TABLE opendsr_requests (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    subject_request_id  uuid NOT NULL,
    request_id          uuid NOT NULL UNIQUE REFERENCES requests (id),
    regulation          text NOT NULL,
    api_version         text NOT NULL,
    submitted_at        timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, subject_request_id)
);

CREATE TABLE opendsr_callbacks (
    request_id    uuid NOT NULL REFERENCES opendsr_requests (request_id),
    position      int NOT NULL,
    url           text NOT NULL,
    last_status   text,
    last_sent_at  timestamptz,
    PRIMARY KEY (request_id, url)
);
