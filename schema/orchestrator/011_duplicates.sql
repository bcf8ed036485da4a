-- A request for a subject and right while one is open is a duplicate: the API refuses it,
-- a mail joins the open case. The look for the open request goes by tenant, subject (any
-- letter case) and right; this index serves it and every look by tenant and subject that
-- the index of migration 010 served, which it replaces.
CREATE INDEX requests_subject_type ON requests (tenant_id, lower(subject_email), type);
DROP INDEX requests_subject;
