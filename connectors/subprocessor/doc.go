// Package subprocessor holds the vendor's sub-processors: their registry (who they are,
// what they hold, where, under which transfer mechanism and DPA, and how dsr reaches them;
// read from DSR_SUBPROCESSORS_FILE or the embedded default, listed by `dsr subprocessors
// list`, named as recipients in every access package, Art. 15(1)(c)) and a connector for
// each, a recipient in the Art. 19 ledger: Connector for a sub-processor reached over its
// HTTP API, Manual for one reached by mail (a task that its reply or a DPO closes), Exempt
// for one that needs no notice, with the reason.
//
// A sub-processor reached over its API is a recipient of the vendor's data that must apply,
// and be told of, each rectification, erasure and restriction (Art. 19). One Config describes one sub-processor: its name, the
// shape of its API, where it is, how to authenticate (bearer, basic or an HMAC signature,
// see Auth) and its rate limits.
//
// # Who the subject is
//
// The vendor tags every record it sends a sub-processor with the tenant's id (as an
// organisation or external id). A subject is the service's records of that tenant whose
// email is the subject's, whatever its case: the connector filters the service's search
// answer itself and never acts on a record of another tenant or another email.
//
// # Shapes
//
// Paths are below Config.BaseURL. Bodies are JSON. A lookup answers 200 with a list, empty
// or not (404 also means none). Records carry "id", "tenant_id", "email", "name",
// "restricted", "objections", "created_at", "updated_at", and for users "phone", "locale",
// "role" ("end-user" or "agent") and "deleted".
//
// ShapeTwoStep, modelled on helpdesk APIs whose users are deleted in two steps:
//
//	GET    /users?tenant_id=T&email=E  -> 200 {"users": [...]}, soft deleted users too (deleted: true)
//	GET    /users/{id}                 -> 200 user (deleted: true once soft deleted) | 404 once permanently deleted
//	PATCH  /users/{id}                 {"name"|"email"|"phone"|"locale": v|null, "restricted": true, "objections": [...]} -> 200 user | 404
//	DELETE /users/{id}                 soft delete -> 200 | 404 when already soft or permanently deleted
//	GET    /deleted_users/{id}         -> 200 while soft deleted | 404
//	DELETE /deleted_users/{id}         permanent delete, only after the soft delete -> 200 | 404 when not soft deleted
//	                                   | 409 (+ Retry-After) when not allowed yet | 429 + Retry-After over the limit
//
// An erasure finds the users, soft deletes those still active, permanently deletes them and
// reads back that GET /users/{id} and GET /deleted_users/{id} both answer 404: the recipient
// is then confirmed. Permanent deletions take a token of their own bucket (DeleteRate per
// DeletePer, by default 300 per 10 minutes) besides the general one. When that bucket, a 429
// or a 409 says the permanent deletion must wait, or the read-back still finds the user, the
// outcome has a Job (Step StepPermanent, ID the user ids joined by commas) instead of a
// sleeping activity; CheckJob reads each user's state and takes them on from there.
//
// ShapeAsyncJob, modelled on analytics and mail-delivery APIs with GDPR deletion jobs:
//
//	GET   /contacts?tenant_id=T&email=E  -> 200 {"contacts": [...]}
//	PATCH /contacts/{id}                 {"name"|"email": v|null, "restricted": true, "objections": [...]} -> 200 contact | 404
//	POST  /gdpr/deletions                {"tenant_id": T, "email": E}, header Idempotency-Key: <request id>
//	                                     -> 202 {"job_id": J, "status": "pending"}; the same key again answers the same job
//	GET   /gdpr/deletions/{job_id}       -> 200 {"job_id": J, "status": "pending|running|done|failed"} | 404
//
// An erasure finds the contacts and submits a job (its own bucket when DeleteRate is set);
// the outcome has a Job (Step StepDeletion, ID the service's job id) checked after
// PollInitial, then after twice as long each time up to PollMax (1m, 2m, 4m ... 6h), for up
// to JobTimeout (14 days). When the job is done the contacts are looked up again: none left
// is confirmed; a failed job, contacts still there or a job past JobTimeout is failed. A job
// the service answers done at once is read back at once.
//
// # What each right does
//
//   - Access: Export writes one category named after the records ("users", "contacts"),
//     one row per record, soft deleted users included; portability keeps only what the
//     subject provided (email, name, and a user's phone and locale).
//   - Rectification: PATCH of the fields the service holds (two_step: email, locale, name,
//     phone; async_job: email, name); an empty value is sent as null. Other
//     connectors.RectifiableFields are skipped with a note; an unknown field is
//     connectors.ErrInvalid. The answer must show the new values, or the recipient is failed.
//   - Erasure: as above; the profile and full scopes erase the same.
//   - Restriction: PATCH {"restricted": true} where not yet restricted.
//   - Objection: PATCH {"objections": [...]}, the union of what is there and the purposes.
//
// Every Outcome carries the recipient's entry in the Art. 19 ledger (Kind "api"): notified
// while a Job goes on, confirmed once done and checked, failed, or exempt when the service
// does not hold the subject (nothing was disclosed to it). Rows count records by collection,
// e.g. {"users": 1}. A subject the service does not hold has zero rows.
//
// # Rate limits, errors and retries
//
// Every call takes a token from the sub-processor's bucket (Rate per Per, bursts of Burst),
// waiting for it up to MaxWait (30s); a longer wait returns a *connectors.RetryAfterError,
// so no activity sleeps for long. A 429, or a 503 with Retry-After, is a RetryAfterError
// with the service's delay (seconds or an HTTP date) and pauses the bucket for as long. Other
// 5xx and transport errors are plain errors, for the activity's retry policy; other 4xx
// (401 and 403 included) and redirects wrap connectors.ErrInvalid with the status and the
// service's error code when it is a short token. Errors never hold the URL, whose query
// holds the email, nor the service's message.
//
// # Receipts
//
// Rectify, Erase, Restrict and Object keep their outcome in Config.Receipts (in memory by
// default) per request id and action, and a call with the same request id waits for any
// call in flight and then replays it (Replayed). Erasure steps are idempotent at the service
// too: a 404 on a delete means it was done, states are read rather than assumed, and job
// submissions carry the request id as Idempotency-Key.
package subprocessor
