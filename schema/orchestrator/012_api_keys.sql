-- A tenant manages its API keys: several per tenant, each with a name and scopes. A key is
-- refused once revoked, or once its expiry (set when it is rotated, after the overlap) has
-- passed. last_used_at is refreshed at most about once a minute.
ALTER TABLE api_keys
    ADD COLUMN name         text,
    ADD COLUMN scopes       text[],
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN expires_at   timestamptz;

-- Keys made before scopes existed could do everything: they keep doing so.
UPDATE api_keys SET name = 'default', scopes = ARRAY['admin'];

ALTER TABLE api_keys
    ALTER COLUMN name SET NOT NULL,
    ALTER COLUMN scopes SET NOT NULL,
    ADD CONSTRAINT api_keys_name_not_empty CHECK (btrim(name) <> ''),
    ADD CONSTRAINT api_keys_scopes_not_empty CHECK (cardinality(scopes) > 0);
