package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"dsr/workflows"
)

// EnsureSearchAttributes adds custom search attributes to a namespace; ones that exist
// already are left as they are.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	if len(attrs) == 0 {
		return nil
	}
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: attrs,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes to %s: %w", namespace, err)
	}
	return nil
}

// Healthy checks that the Temporal frontend answers.
func (d *Client) Healthy(ctx context.Context) error {
	_, err := d.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// Polled checks that a worker polls the workflow task queue of the namespace.
func (d *Client) Polled(ctx context.Context, namespace string) error {
	resp, err := d.Temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: workflows.TaskQueue},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
	})
	if err != nil {
		return err
	}
	if len(resp.GetPollers()) == 0 {
		return errors.New("no worker polls " + workflows.TaskQueue)
	}
	return nil
}

// NamespaceSetup is what SetupNamespace found and did, printed by `dsr temporal setup`.
type NamespaceSetup struct {
	Namespace string `json:"namespace"`
	// Action is what happened to the namespace: "created", "updated" (its retention) or
	// "unchanged".
	Action string `json:"namespace_action"`
	// Retention is the namespace's retention now; PreviousRetention what it was before an
	// update.
	Retention         string `json:"retention"`
	PreviousRetention string `json:"previous_retention,omitempty"`
	// SearchAttributesAdded are the search attributes added now; SearchAttributes all
	// that dsr needs, each there now.
	SearchAttributesAdded []string `json:"search_attributes_added"`
	SearchAttributes      []string `json:"search_attributes"`
	// Unchecked, when set, says why the search attributes could not be listed (the
	// cluster does not let these credentials); then SearchAttributes is empty.
	Unchecked string `json:"search_attributes_unchecked,omitempty"`
	// Changed reports whether anything changed; a second run says false.
	Changed bool `json:"changed"`
}

// NotPermittedError is a step of the namespace's set-up that the cluster does not allow
// through its workflow and operator services (Temporal Cloud manages namespaces in its own
// control plane) or that the credentials may not do.
type NotPermittedError struct {
	Namespace string
	// Step is "create", "update retention" or "add search attributes".
	Step string
	// Missing is the search attributes the namespace lacks (Step "add search attributes").
	Missing []string
	// Retention is the retention dsr is configured with.
	Retention time.Duration
	Err       error
}

// Error says what is missing and how to set it up.
func (e *NotPermittedError) Error() string {
	switch e.Step {
	case "create":
		return fmt.Sprintf("temporal namespace %q does not exist and the cluster does not let dsr create it (%v): run `dsr temporal setup` with credentials allowed to register namespaces, or create it yourself (on Temporal Cloud: in the web UI or with `tcld namespace create`) with retention %s and the search attributes %s, then start again",
			e.Namespace, e.Err, retentionText(e.Retention), attributeText(SearchAttributes))
	case "update retention":
		return fmt.Sprintf("temporal namespace %q: the cluster does not let dsr set its retention to %s (%v): change it yourself (on Temporal Cloud: in the web UI or with `tcld namespace retention set`), or set DSR_TEMPORAL_RETENTION to the namespace's",
			e.Namespace, retentionText(e.Retention), e.Err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range e.Missing {
		missing[name] = SearchAttributes[name]
	}
	return fmt.Sprintf("temporal namespace %q lacks the search attributes %s and the cluster does not let dsr add them (%v): run `dsr temporal setup` with credentials allowed to, or add them yourself (on Temporal Cloud: in the web UI or with `tcld namespace search-attributes add`)",
		e.Namespace, attributeText(missing), e.Err)
}

// Unwrap is the cluster's answer.
func (e *NotPermittedError) Unwrap() error { return e.Err }

// notPermitted reports whether err says the call is not allowed or not offered.
func notPermitted(err error) bool {
	var denied *serviceerror.PermissionDenied
	var unimplemented *serviceerror.Unimplemented
	return errors.As(err, &denied) || errors.As(err, &unimplemented)
}

// namespaceMissing reports whether err says the namespace does not exist.
func namespaceMissing(err error) bool {
	var nsNotFound *serviceerror.NamespaceNotFound
	var notFound *serviceerror.NotFound
	return errors.As(err, &nsNotFound) || errors.As(err, &notFound)
}

// SetupNamespace makes namespace ready for dsr on an external cluster: registers it with
// retention if it is missing, or sets its retention if it differs, waits until the
// frontend serves it, then adds the search attributes it lacks. It is idempotent. A step
// the cluster does not permit is a *NotPermittedError that says what to do; when that
// step is the retention's, the other steps are done all the same.
func SetupNamespace(ctx context.Context, c client.Client, namespace string, retention time.Duration, attrs map[string]enumspb.IndexedValueType) (NamespaceSetup, error) {
	res := NamespaceSetup{Namespace: namespace, Action: "unchanged", Retention: retentionText(retention), SearchAttributesAdded: []string{}}
	ws := c.WorkflowService()
	var kept *NotPermittedError
	desc, err := ws.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	switch {
	case namespaceMissing(err):
		_, err = ws.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        namespace,
			Description:                      "dsr: data-subject requests",
			WorkflowExecutionRetentionPeriod: durationpb.New(retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		switch {
		case err == nil:
			res.Action = "created"
		case errors.As(err, &exists):
			// Another process registered it just now; its retention is checked next time.
		case notPermitted(err):
			return res, &NotPermittedError{Namespace: namespace, Step: "create", Retention: retention, Err: err}
		default:
			return res, fmt.Errorf("register temporal namespace %s: %w", namespace, err)
		}
	case err != nil:
		return res, fmt.Errorf("describe temporal namespace %s: %w", namespace, err)
	default:
		current := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
		if current != retention {
			_, err := ws.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
				Namespace: namespace,
				Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
			})
			switch {
			case notPermitted(err):
				// The rest of the set-up goes on; this is reported at the end.
				kept = &NotPermittedError{Namespace: namespace, Step: "update retention", Retention: retention, Err: err}
				res.Retention = retentionText(current)
			case err != nil:
				return res, fmt.Errorf("set the retention of temporal namespace %s: %w", namespace, err)
			default:
				res.Action, res.PreviousRetention = "updated", retentionText(current)
			}
		}
	}
	if err := waitNamespace(ctx, c, namespace); err != nil {
		return res, err
	}
	added, err := addMissingAttributes(ctx, c, namespace, attrs, retention)
	var unlisted *listNotPermitted
	switch {
	case errors.As(err, &unlisted):
		res.Unchecked = unlisted.Error()
	case err != nil:
		return res, err
	default:
		res.SearchAttributesAdded = added
		for name := range attrs {
			res.SearchAttributes = append(res.SearchAttributes, name)
		}
		slices.Sort(res.SearchAttributes)
	}
	res.Changed = res.Action != "unchanged" || len(added) > 0
	if kept != nil {
		return res, kept
	}
	return res, nil
}

// waitNamespace waits, for up to a minute, until the frontend serves calls in the
// namespace (a new one reaches its namespace cache within seconds).
func waitNamespace(ctx context.Context, c client.Client, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace:     namespace,
			TaskQueue:     &taskqueuepb.TaskQueue{Name: workflows.TaskQueue},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
		})
		if err == nil || !namespaceMissing(err) {
			if err != nil {
				return fmt.Errorf("temporal namespace %s: %w", namespace, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal namespace %s is registered but not served yet: %w", namespace, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// addMissingAttributes adds the search attributes namespace lacks and returns their
// names, sorted; one that exists with another type is an error.
func addMissingAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType, retention time.Duration) ([]string, error) {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if notPermitted(err) {
		return nil, &listNotPermitted{namespace: namespace, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("list the search attributes of temporal namespace %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	var names []string
	for name, typ := range attrs {
		got, ok := have.GetCustomAttributes()[name]
		if !ok {
			missing[name] = typ
			names = append(names, name)
			continue
		}
		if got != typ {
			return nil, fmt.Errorf("temporal namespace %s: search attribute %s is %s, dsr needs %s", namespace, name, got, typ)
		}
	}
	slices.Sort(names)
	if len(missing) == 0 {
		return []string{}, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	switch {
	case err == nil, errors.As(err, &exists):
		return names, nil
	case notPermitted(err):
		return nil, &NotPermittedError{Namespace: namespace, Step: "add search attributes", Missing: names, Retention: retention, Err: err}
	}
	return nil, fmt.Errorf("add search attributes %s to temporal namespace %s: %w", strings.Join(names, ", "), namespace, err)
}

// listNotPermitted is a cluster that does not let the credentials list the namespace's
// search attributes: dsr cannot tell whether they are there.
type listNotPermitted struct {
	namespace string
	err       error
}

func (e *listNotPermitted) Error() string {
	return fmt.Sprintf("the search attributes of temporal namespace %s could not be listed (%v): make sure it has %s, or requests cannot start",
		e.namespace, e.err, attributeText(SearchAttributes))
}

// retentionText writes a retention in hours, as DSR_TEMPORAL_RETENTION takes it.
func retentionText(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// attributeText lists search attributes with their types: "DsrTenant (Keyword), ...".
func attributeText(attrs map[string]enumspb.IndexedValueType) string {
	var parts []string
	for name, typ := range attrs {
		parts = append(parts, fmt.Sprintf("%s (%s)", name, typ))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
