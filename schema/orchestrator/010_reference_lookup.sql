-- A reply names a reference ("DSR-xxxxxxxx"): a case's, in any letter case, or a request's,
-- the last eight hex digits of its id. These indexes find either without reading every
-- case or request.
CREATE INDEX mail_cases_reference_lower ON mail_cases (lower(reference));
CREATE INDEX requests_ref ON requests (right(replace(id::text, '-', ''), 8));
