-- Finding which accounts hold a person (mail to the privacy mailbox names no tenant) looks an
-- email up across every account. The (account_id, lower(email)) indexes of 001 cannot serve
-- that lookup, so each table gets an index on the lowered email alone.

CREATE INDEX end_users_email ON end_users (lower(email));
CREATE INDEX agents_email ON agents (lower(email));
