// Package workers runs dsr's Temporal workers: the workflows and their bookkeeping
// activities on the "dsr" task queue, and the connector activities on the task queue of
// each region whose data this process can reach.
package workers

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"dsr/activities"
	"dsr/internal/domain"
	"dsr/workflows"
)

// Set is the workers of one process.
type Set struct {
	workers []worker.Worker
	// Queues are the task queues polled.
	Queues []string
}

// Start starts a worker on the workflow queue and one per region.
func Start(c client.Client, acts *activities.Activities, regions []domain.Region) (*Set, error) {
	s := &Set{Queues: []string{workflows.TaskQueue}}
	for _, r := range regions {
		s.Queues = append(s.Queues, workflows.RegionQueue(r))
	}
	for _, q := range s.Queues {
		w := worker.New(c, q, worker.Options{WorkerStopTimeout: 20 * time.Second})
		if q == workflows.TaskQueue {
			w.RegisterWorkflow(workflows.DSR)
			w.RegisterWorkflow(workflows.WeeklySLAReport)
			w.RegisterWorkflow(workflows.Retention)
			w.RegisterWorkflow(workflows.Mailroom)
			w.RegisterWorkflow(workflows.WebhookDelivery)
		}
		w.RegisterActivity(acts)
		if err := w.Start(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("start worker on %s: %w", q, err)
		}
		s.workers = append(s.workers, w)
	}
	return s, nil
}

// Stop stops every worker, letting running activities finish for a while.
func (s *Set) Stop() {
	for _, w := range s.workers {
		w.Stop()
	}
}
