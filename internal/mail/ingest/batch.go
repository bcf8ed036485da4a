package ingest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"dsr/internal/store"
)

// fetched is one mail as the mailbox gave it.
type fetched struct {
	uid uint32
	raw []byte
}

// startsAtOnce bounds the workflow starts in flight.
const startsAtOnce = 4

// takeMany takes a batch of fetched mails: it reads and classifies them on every core,
// looks their subjects up in one query, and records the mails with their cases, queued
// mail and requests in one transaction. A mail recorded before and a reply to one of dsr's
// mails are taken one by one after it. It returns the UIDs of the mails recorded, by
// folder; the workflows of the requests made start in the background.
func (r *Room) takeMany(ctx context.Context, mails []fetched) (map[string][]uint32, error) {
	filed := map[string][]uint32{}
	if len(mails) == 0 {
		return filed, nil
	}
	preps := make([]prepared, len(mails))
	errs := make([]error, len(mails))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				preps[i], errs[i] = r.prepare(mails[i].raw)
			}
		})
	}
	for i := range mails {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return filed, err
	}

	if err := r.joinOpen(ctx, preps); err != nil {
		return filed, err
	}

	// A reply to a reference dsr knows, or to a case this batch opens, is taken on its own
	// after the batch; one to a reference it does not know goes to triage with the batch.
	var refs []string
	opening := map[string]bool{}
	for _, p := range preps {
		if p.reply() {
			refs = append(refs, replyRef(p.cls))
		}
		if p.c != nil {
			opening[strings.ToLower(p.c.Reference)] = true
		}
	}
	known := map[string]bool{}
	if len(refs) > 0 {
		var err error
		if known, err = r.Store.KnownRefs(ctx, refs); err != nil {
			return filed, err
		}
	}
	var batch []store.Taking
	var idx []int   // batch to mails
	var alone []int // taken one by one
	var emails []string
	for i := range preps {
		p := &preps[i]
		if p.reply() {
			if ref := replyRef(p.cls); known[ref] || opening[strings.ToLower(ref)] {
				alone = append(alone, i)
				continue
			}
			p.m.Folder, p.m.Note = store.FolderTriage, unknownRefNote(r.vendor(p.msg))
		}
		if p.c != nil {
			emails = append(emails, p.c.SubjectEmail)
		}
		batch = append(batch, store.Taking{Mail: p.m, Case: p.c, Out: p.out})
		idx = append(idx, i)
	}
	made, tenants, earlier, err := r.recordMany(ctx, batch, emails)
	if err != nil && !store.IsConflict(err) {
		return filed, err // nothing recorded: the next poll takes the batch again
	}
	if err != nil {
		// The database refused the batch's data (a reference drawn twice, say): each of
		// its mails is taken on its own instead, which records every one it can.
		r.log().Warn("take mail in one batch", "mails", len(batch), "error", err)
		earlier = make([]int, len(batch))
		for i := range earlier {
			earlier[i] = i
		}
	}
	again := map[int]bool{}
	for _, i := range earlier {
		again[i] = true
	}
	taken := 0
	var errJoined []error
	for i, t := range batch {
		if again[i] {
			continue
		}
		filed[t.Mail.Folder] = append(filed[t.Mail.Folder], mails[idx[i]].uid)
		taken++
		if j := preps[idx[i]].joined; j != nil {
			errJoined = append(errJoined, r.noteJoined(ctx, t.Mail.ID, *j))
		}
	}
	if taken > 0 {
		r.log().Info("mail taken", "mails", taken, "requests", len(made))
	}
	r.startLater(made, tenants)

	// A mail recorded before finishes what its earlier take left undone; a reply is filed
	// by what it answers.
	var errAlone []error
	for _, i := range earlier {
		alone = append(alone, idx[i])
	}
	for _, i := range alone {
		m, err := r.takeAlone(ctx, preps[i])
		if err != nil {
			errAlone = append(errAlone, fmt.Errorf("take mail (uid %d): %w", mails[i].uid, err))
			continue
		}
		filed[m.Folder] = append(filed[m.Folder], mails[i].uid)
		if j := preps[i].joined; j != nil && m.ID == preps[i].m.ID {
			errAlone = append(errAlone, r.noteJoined(ctx, m.ID, *j))
		}
	}
	return filed, errors.Join(append(errJoined, errAlone...)...)
}

// recordMany routes the batch's cases and records the batch.
func (r *Room) recordMany(ctx context.Context, batch []store.Taking, emails []string) ([]store.Request, map[string]store.Tenant, []int, error) {
	var held map[string][]string
	var tenants map[string]store.Tenant
	if len(emails) > 0 {
		var err error
		if held, err = r.Holders(ctx, emails); err != nil {
			return nil, nil, nil, fmt.Errorf("look the subjects up: %w", err)
		}
		if tenants, err = r.tenants(ctx, held); err != nil {
			return nil, nil, nil, err
		}
	}
	for i := range batch {
		if c := batch[i].Case; c != nil {
			batch[i].Requests = r.requestsFor(*c, held[c.SubjectEmail], tenants)
		}
	}
	made, earlier, err := r.Store.TakeMails(ctx, batch)
	return made, tenants, earlier, err
}

// takeAlone takes a prepared mail on its own: the earlier record of a mail recorded
// before, finished, or the mail with all that hangs on it.
func (r *Room) takeAlone(ctx context.Context, p prepared) (store.Mail, error) {
	earlier, err := r.Store.MailByKey(ctx, p.m.MessageKey)
	if err == nil {
		return earlier, r.finish(ctx, earlier)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Mail{}, err
	}
	return r.takeOne(ctx, p)
}

// startLater queues the workflow starts of requests just made; startQueued makes them
// when the poll has filed its mail, so taking mail neither waits for the workflow engine
// nor shares the machine with it.
func (r *Room) startLater(reqs []store.Request, tenants map[string]store.Tenant) {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	for _, req := range reqs {
		r.toStart = append(r.toStart, queuedStart{tenant: tenants[req.TenantID], req: req})
	}
}

// queuedStart is a workflow start waiting for the poll to end.
type queuedStart struct {
	tenant store.Tenant
	req    store.Request
}

// startQueued starts the queued workflows in the background, a few at a time. A start that
// fails, or that a stopped process never made, is made by the resume pass, which starts
// the workflow of every open request that has none.
func (r *Room) startQueued(ctx context.Context) {
	r.startMu.Lock()
	queue := r.toStart
	r.toStart = nil
	r.startMu.Unlock()
	if len(queue) == 0 {
		return
	}
	r.startOnce.Do(func() { r.startSlots = make(chan struct{}, startsAtOnce) })
	ctx = context.WithoutCancel(ctx)
	r.starting.Add(1)
	go func() {
		defer r.starting.Done()
		for _, q := range queue {
			r.startSlots <- struct{}{}
			r.starting.Add(1)
			go func() {
				defer r.starting.Done()
				defer func() { <-r.startSlots }()
				sctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				if err := r.Start(sctx, q.tenant, q.req); err != nil {
					r.log().Warn("start the workflow of a request from mail; the resume pass will", "request_id", q.req.ID, "error", err)
				}
			}()
		}
	}()
}

// WaitStarts waits until the workflows of the requests made so far are started (or
// their starts failed).
func (r *Room) WaitStarts() { r.starting.Wait() }
