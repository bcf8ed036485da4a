-- A change a sub-processor without an API must make by hand: dsr mails its privacy contact,
-- reminds it every few business days, and escalates to the DPO when its turnaround would
-- overrun the legal deadline; the task ends when the vendor replies or a DPO marks it done.
CREATE TABLE manual_tasks (
    request_id    uuid NOT NULL REFERENCES requests (id),
    recipient     text NOT NULL,
    action        text NOT NULL,
    sent_at       timestamptz,
    reminded_at   timestamptz,
    reminders     integer NOT NULL DEFAULT 0,
    escalated_at  timestamptz,
    done_at       timestamptz,
    done_by       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, recipient)
);
CREATE INDEX manual_tasks_open ON manual_tasks (recipient) WHERE done_at IS NULL;
