-- Tamper evidence: every event carries two SHA-256 chains, one per request and one over all
-- events, each hash covering the previous hash and the event's canonical content. A changed,
-- removed or inserted event breaks them; `dsr audit verify` finds the first break.
ALTER TABLE request_events
    ADD COLUMN chain_hash   bytea,
    ADD COLUMN global_hash  bytea;
