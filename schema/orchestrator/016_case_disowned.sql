-- A case can end disowned: the owner of the address said, on the verification page, that
-- they did not make the request.
ALTER TABLE mail_cases DROP CONSTRAINT mail_cases_outcome_check;
ALTER TABLE mail_cases ADD CONSTRAINT mail_cases_outcome_check
    CHECK (outcome IN ('verified', 'no_data', 'expired', 'disowned'));
