package subprocessor

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"dsr/connectors"
	"dsr/internal/domain"
)

// actionErasureProgress keys the receipt that records, before anything is deleted, what an
// erasure found: a retry after a lost answer resumes from it even when the lookup no longer
// finds the subject.
const actionErasureProgress = string(domain.Erasure) + ":progress"

// Erase erases the subject at the service; both scopes erase the same, the subject's
// records, which is all a sub-processor holds. Rows counts the records found. The outcome
// has a Job while the erasure goes on at the service (the workflow then calls CheckJob), and
// otherwise a Recipient confirmed once a read-back no longer finds the subject, or exempt
// when the service never held them. See the package documentation for each shape's steps.
func (c *Connector) Erase(ctx context.Context, req connectors.Request) (domain.Outcome, error) {
	scope, err := connectors.CheckScope(req.ErasureScope)
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("erase for request %s at %s: %w", req.ID, c.cfg.Name, err)
	}
	return c.apply(ctx, req, domain.Erasure, func(ctx context.Context, out *domain.Outcome) error {
		recs, err := c.lookup(ctx, req.Subject)
		if err != nil {
			return err
		}
		progress, resumed, err := c.cfg.Receipts.Receipt(ctx, c.cfg.Name, req.ID, actionErasureProgress)
		if err != nil {
			return err
		}
		if len(recs) == 0 && !resumed {
			c.notHeld(out)
			return nil
		}
		// Every id the erasure is about: those found by an earlier attempt, then those found now.
		var ids []string
		if resumed && progress.Job != nil && progress.Job.ID != "" {
			ids = strings.Split(progress.Job.ID, ",")
		}
		state := map[string]userState{}
		for _, r := range recs {
			if !slices.Contains(ids, r.ID) {
				ids = append(ids, r.ID)
			}
			state[r.ID] = stateActive
			if r.Deleted {
				state[r.ID] = stateSoftDeleted
			}
		}
		if !resumed {
			progress = domain.Outcome{Connector: c.cfg.Name, Action: domain.Erasure, AppliedAt: out.AppliedAt,
				Rows: map[string]int64{c.shape.collection: int64(len(ids))}, Job: &domain.Job{ID: strings.Join(ids, ",")}}
			if err := c.cfg.Receipts.SaveReceipt(ctx, c.cfg.Name, req.ID, actionErasureProgress, progress); err != nil {
				return err
			}
		} else {
			out.Notes = append(out.Notes, "resumed an earlier attempt of this erasure")
		}
		out.Rows[c.shape.collection] = int64(len(ids))
		if scope == domain.ScopeFull {
			out.Notes = append(out.Notes, c.cfg.Name+" holds only the subject's "+c.shape.collection+"; the full scope erases the same as the profile scope")
		}
		job := domain.Job{Started: out.AppliedAt}
		if c.cfg.Shape == ShapeAsyncJob {
			return c.submitJob(ctx, req, job, out)
		}
		waits := make(map[string]*wait, len(ids))
		for _, id := range ids {
			if !validID(id) {
				return fmt.Errorf("an earlier attempt recorded an unusable user id: %w", connectors.ErrInvalid)
			}
			st, ok := state[id]
			if !ok {
				if st, err = c.userState(ctx, id); err != nil {
					return err
				}
			}
			if waits[id], err = c.purge(ctx, id, st); err != nil {
				return err
			}
		}
		c.settleTwoStep(out, ids, waits, job)
		return nil
	})
}

// CheckJob looks again at an erasure that went on at the service: the outcome has a Job
// again (checked after Job.CheckAfter, which doubles with each check from PollInitial up to
// PollMax) until the erasure is over, then a Recipient confirmed (read back: the subject is
// gone) or failed (the job failed, the read-back still finds the subject, or the job went
// on longer than JobTimeout).
func (c *Connector) CheckJob(ctx context.Context, req connectors.Request, job domain.Job) (domain.Outcome, error) {
	if err := connectors.CheckSubject(req.Subject); err != nil {
		return domain.Outcome{}, fmt.Errorf("check job for request %s at %s: %w", req.ID, c.cfg.Name, err)
	}
	if job.ID == "" {
		return domain.Outcome{}, fmt.Errorf("check job for request %s at %s: job without an id: %w", req.ID, c.cfg.Name, connectors.ErrInvalid)
	}
	out := domain.Outcome{Connector: c.cfg.Name, Action: domain.Erasure, Rows: map[string]int64{}, AppliedAt: c.now()}
	next := job
	next.Checks++
	var err error
	switch {
	case c.cfg.Shape == ShapeTwoStep && job.Step == StepPermanent:
		err = c.checkTwoStep(ctx, next, &out)
	case c.cfg.Shape == ShapeAsyncJob && (job.Step == StepDeletion || job.Step == ""):
		err = c.checkDeletionJob(ctx, req, next, &out)
	default:
		err = fmt.Errorf("job step %q is not one of a %s service: %w", job.Step, c.cfg.Shape, connectors.ErrInvalid)
	}
	if err != nil {
		return domain.Outcome{}, fmt.Errorf("check job %s for request %s at %s: %w", job.ID, req.ID, c.cfg.Name, err)
	}
	return out, nil
}

// two_step

// userState is where a helpdesk user is in the two steps.
type userState int

const (
	stateActive userState = iota
	stateSoftDeleted
	stateGone
)

// wait says why a user's permanent deletion is not over, and when to look again (0: the
// job's backoff).
type wait struct {
	after time.Duration
	why   string
}

// userState reads where the user is: GET /users/{id} (a soft deleted user shows deleted:
// true), then GET /deleted_users/{id}; gone when neither knows the user.
func (c *Connector) userState(ctx context.Context, id string) (userState, error) {
	r, err := c.http.do(ctx, call{op: "read back user", method: http.MethodGet, path: "users/" + url.PathEscape(id),
		accept: []int{http.StatusOK, http.StatusNotFound}})
	if err != nil {
		return 0, err
	}
	if r.status == http.StatusOK {
		var rec record
		if err := r.decode("read back user", c.cfg.Name, &rec); err != nil {
			return 0, err
		}
		if rec.Deleted {
			return stateSoftDeleted, nil
		}
		return stateActive, nil
	}
	r, err = c.http.do(ctx, call{op: "read back deleted user", method: http.MethodGet, path: "deleted_users/" + url.PathEscape(id),
		accept: []int{http.StatusOK, http.StatusNotFound}})
	if err != nil {
		return 0, err
	}
	if r.status == http.StatusOK {
		return stateSoftDeleted, nil
	}
	return stateGone, nil
}

// purge takes one user from state through both steps and reads back that they are gone; a
// nil wait means gone. Each step is safe to repeat: a 404 means the step was done already,
// and what happened is read back rather than assumed.
func (c *Connector) purge(ctx context.Context, id string, state userState) (*wait, error) {
	if state == stateGone {
		return nil, nil
	}
	if state == stateActive {
		if _, err := c.http.do(ctx, call{op: "soft delete user", method: http.MethodDelete, path: "users/" + url.PathEscape(id),
			accept: []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent, http.StatusNotFound}}); err != nil {
			return nil, err
		}
	}
	if c.deletes != nil {
		d, ok := c.deletes.reserve(c.cfg.MaxWait)
		if !ok {
			return &wait{after: ceilSecond(d), why: "waits for its rate limit"}, nil
		}
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
	}
	r, err := c.http.do(ctx, call{op: "permanently delete user", method: http.MethodDelete, path: "deleted_users/" + url.PathEscape(id),
		accept: []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent, http.StatusNotFound, http.StatusConflict, http.StatusTooManyRequests}})
	if err != nil {
		return nil, err
	}
	switch r.status {
	case http.StatusConflict:
		after, _ := retryAfter(r.header.Get("Retry-After"), c.cfg.Now())
		return &wait{after: after, why: "is not allowed yet"}, nil
	case http.StatusTooManyRequests:
		after, ok := retryAfter(r.header.Get("Retry-After"), c.cfg.Now())
		if !ok {
			after = defaultRetryAfter
		}
		c.deletes.pause(after)
		return &wait{after: after, why: "waits for its rate limit"}, nil
	}
	st, err := c.userState(ctx, id)
	if err != nil {
		return nil, err
	}
	if st != stateGone {
		return &wait{why: "is not over: the read-back still finds the user"}, nil
	}
	return nil, nil
}

// settleTwoStep ends an outcome of the two_step shape: confirmed when no user waits,
// otherwise a Job listing the users that do (or failed, once the job is too old).
func (c *Connector) settleTwoStep(out *domain.Outcome, ids []string, waits map[string]*wait, job domain.Job) {
	var pending []string
	after, why := time.Duration(-1), ""
	for _, id := range ids {
		w := waits[id]
		if w == nil {
			continue
		}
		pending = append(pending, id)
		a := w.after
		if a <= 0 {
			a = c.backoff(job.Checks)
		}
		if after < 0 || a < after {
			after, why = a, w.why
		}
	}
	if len(pending) == 0 {
		out.Notes = append(out.Notes, "read back: "+c.cfg.Name+" no longer holds the user, soft deleted or not")
		out.Recipient = c.recipient(domain.RecipientConfirmed, "")
		return
	}
	if c.expired(job) {
		reason := fmt.Sprintf("permanent deletion at %s did not finish within %s (%s)", c.cfg.Name, days(c.cfg.JobTimeout), why)
		out.Notes = append(out.Notes, reason)
		out.Recipient = c.recipient(domain.RecipientFailed, reason)
		return
	}
	job.ID = strings.Join(pending, ",")
	job.Step = StepPermanent
	job.CheckAfter = after
	job.Reason = "permanent deletion at " + c.cfg.Name + " " + why
	out.Job = &job
	out.Recipient = c.recipient(domain.RecipientNotified, job.Reason)
}

// checkTwoStep drives the users of a StepPermanent job on; Rows counts those now gone.
func (c *Connector) checkTwoStep(ctx context.Context, job domain.Job, out *domain.Outcome) error {
	ids := strings.Split(job.ID, ",")
	waits := make(map[string]*wait, len(ids))
	for _, id := range ids {
		if !validID(id) {
			return fmt.Errorf("job id lists an unusable user id: %w", connectors.ErrInvalid)
		}
		st, err := c.userState(ctx, id)
		if err != nil {
			return err
		}
		if waits[id], err = c.purge(ctx, id, st); err != nil {
			return err
		}
		if waits[id] == nil {
			out.Rows[c.shape.collection]++
		}
	}
	c.settleTwoStep(out, ids, waits, job)
	return nil
}

// async_job

// Deletion job statuses that end a job; "pending" and "running" (and any other) mean it
// goes on.
const (
	jobDone   = "done"
	jobFailed = "failed"
)

// jobStatus is a deletion job as the service returns it.
type jobStatus struct {
	ID     string `json:"job_id"`
	Status string `json:"status"`
}

// submitJob submits the deletion job, keyed by the request id so that a retry after a lost
// answer gets the same job, and settles the outcome on the status the service answers.
func (c *Connector) submitJob(ctx context.Context, req connectors.Request, job domain.Job, out *domain.Outcome) error {
	if err := c.deletes.take(ctx, c.cfg.MaxWait, c.cfg.Name+" deletion job limit (dsr's token bucket)"); err != nil {
		return err
	}
	const op = "submit deletion job"
	r, err := c.http.do(ctx, call{op: op, method: http.MethodPost, path: "gdpr/deletions", key: req.ID,
		body:   map[string]string{"tenant_id": req.Subject.TenantID, "email": req.Subject.Email},
		accept: []int{http.StatusOK, http.StatusCreated, http.StatusAccepted}})
	if err != nil {
		return err
	}
	var js jobStatus
	if err := r.decode(op, c.cfg.Name, &js); err != nil {
		return err
	}
	if !validID(js.ID) {
		return fmt.Errorf("%s at %s: the answer has no usable job id", op, c.cfg.Name)
	}
	job.ID = js.ID
	job.Step = StepDeletion
	return c.settleJob(ctx, req.Subject, js.Status, job, out)
}

// checkDeletionJob asks the service about the job; a job the service no longer knows is
// judged by the read-back alone. The final outcome has the rows of the erasure's receipt.
func (c *Connector) checkDeletionJob(ctx context.Context, req connectors.Request, job domain.Job, out *domain.Outcome) error {
	const op = "check deletion job"
	r, err := c.http.do(ctx, call{op: op, method: http.MethodGet, path: "gdpr/deletions/" + url.PathEscape(job.ID),
		accept: []int{http.StatusOK, http.StatusNotFound}})
	if err != nil {
		return err
	}
	status := jobDone
	if r.status == http.StatusNotFound {
		out.Notes = append(out.Notes, "the deletion job is no longer known to "+c.cfg.Name+"; judged by the read-back")
	} else {
		var js jobStatus
		if err := r.decode(op, c.cfg.Name, &js); err != nil {
			return err
		}
		if js.ID != "" && js.ID != job.ID {
			return fmt.Errorf("%s at %s: the answer is about another job", op, c.cfg.Name)
		}
		status = js.Status
	}
	if err := c.settleJob(ctx, req.Subject, status, job, out); err != nil {
		return err
	}
	if out.Job == nil {
		receipt, ok, err := c.cfg.Receipts.Receipt(ctx, c.cfg.Name, req.ID, string(domain.Erasure))
		if err != nil {
			return err
		}
		if ok {
			for k, v := range receipt.Rows {
				out.Rows[k] = v
			}
		}
	}
	return nil
}

// settleJob ends an outcome of the async_job shape on the job's status: a Job again while
// it is pending or running, else a read-back and the recipient's final status.
func (c *Connector) settleJob(ctx context.Context, s connectors.Subject, status string, job domain.Job, out *domain.Outcome) error {
	switch status {
	case jobDone:
		recs, err := c.lookup(ctx, s)
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			reason := "the deletion job at " + c.cfg.Name + " finished but the read-back still finds the subject"
			out.Notes = append(out.Notes, reason)
			out.Recipient = c.recipient(domain.RecipientFailed, reason)
			return nil
		}
		out.Notes = append(out.Notes, "read back: "+c.cfg.Name+" no longer holds the subject")
		out.Recipient = c.recipient(domain.RecipientConfirmed, "")
	case jobFailed:
		reason := "the deletion job at " + c.cfg.Name + " failed"
		out.Notes = append(out.Notes, reason)
		out.Recipient = c.recipient(domain.RecipientFailed, reason)
	default: // pending, running, or a status this connector does not know: look again later
		if c.expired(job) {
			reason := fmt.Sprintf("the deletion job at %s did not finish within %s", c.cfg.Name, days(c.cfg.JobTimeout))
			out.Notes = append(out.Notes, reason)
			out.Recipient = c.recipient(domain.RecipientFailed, reason)
			return nil
		}
		job.CheckAfter = c.backoff(job.Checks)
		job.Reason = "deletion job at " + c.cfg.Name + " running"
		out.Job = &job
		out.Recipient = c.recipient(domain.RecipientNotified, job.Reason)
	}
	return nil
}

// days writes d in days when it is a whole number of them.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		if d == day {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
