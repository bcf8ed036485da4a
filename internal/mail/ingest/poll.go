package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"dsr/internal/mail/imap"
	"dsr/internal/store"
)

// Folders are the mailbox folders dsr files mail in.
var Folders = []string{store.FolderProcessed, store.FolderTriage, store.FolderQuarantine}

// PollResult says what one poll did.
type PollResult struct {
	// Taken counts the mails looked at (new or seen before); Filed those moved.
	Taken int `json:"taken"`
	Filed int `json:"filed"`
	// ByFolder counts the mails filed per folder.
	ByFolder map[string]int `json:"by_folder"`
	// More is set when the mailbox holds more than one poll takes.
	More bool `json:"more"`
}

// Poll options.
const (
	// batchMessages and batchBytes bound one FETCH.
	batchMessages = 200
	batchBytes    = 32 << 20
)

// Poll takes up to limit mails from the mailbox's source folder and files each in its
// folder. A mail is filed only after it is recorded, so a poll cut short leaves the rest
// for the next one, which finds the recorded ones by their Message-ID. progress, when set,
// is called after each batch.
//
// The work runs as a pipeline of three stages, each on its own: one connection fetches
// the next batch while the batch before is taken (read, classified, recorded) and the one
// before that is filed over a second connection.
func (r *Room) Poll(ctx context.Context, limit int, progress func(PollResult)) (PollResult, error) {
	res := PollResult{ByFolder: map[string]int{}}
	defer r.startQueued(ctx)
	c, err := imap.Dial(ctx, r.MailboxURL)
	if err != nil {
		return res, err
	}
	defer c.Close()
	folders := make([]string, len(Folders))
	for i, f := range Folders {
		folders[i] = FolderPrefix + f
	}
	if err := c.EnsureFolders(ctx, folders...); err != nil {
		return res, err
	}
	pending, err := c.Pending(ctx)
	if err != nil {
		return res, err
	}
	if limit > 0 && len(pending) > limit {
		pending, res.More = pending[:limit], true
	}
	if len(pending) == 0 {
		return res, nil
	}
	filer, err := imap.Dial(ctx, r.MailboxURL)
	if err != nil {
		return res, err
	}
	defer filer.Close()

	fileCtx := ctx // filing what was recorded goes on when fetching stops
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetchedCh := make(chan fetchedBatch, 1)
	takenCh := make(chan map[string][]uint32, 1)
	fetcherDone := make(chan struct{})
	var fetchErr, takeErr error
	go func() {
		defer close(fetcherDone)
		defer close(fetchedCh)
		for _, batch := range batches(pending) {
			b := r.fetchBatch(ctx, c, batch)
			select {
			case fetchedCh <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				fetchErr = b.err
				return
			}
		}
	}()
	go func() {
		defer close(takenCh)
		for b := range fetchedCh {
			filed, err := r.takeFetched(ctx, c.Source(), b)
			takenCh <- filed // the filer reads every batch to the end
			if err != nil {
				takeErr = err
				cancel()
				return
			}
		}
	}()
	var fileErr error
	for filed := range takenCh {
		for _, uids := range filed {
			res.Taken += len(uids)
		}
		if fileErr != nil {
			continue // what is recorded is filed by the next poll
		}
		for folder, uids := range filed {
			if len(uids) == 0 {
				continue
			}
			if err := filer.Move(fileCtx, uids, FolderPrefix+folder); err != nil {
				fileErr = err
				cancel()
				break
			}
			res.Filed += len(uids)
			res.ByFolder[folder] += len(uids)
		}
		if fileErr == nil && progress != nil {
			progress(res)
		}
	}
	<-fetcherDone
	if err := errors.Join(takeErr, fileErr); err != nil {
		return res, err
	}
	if fetchErr != nil {
		return res, fmt.Errorf("fetch mail: %w", fetchErr)
	}
	return res, fileCtx.Err()
}

// batches cuts the pending mails into FETCH batches.
func batches(pending []imap.Pending) [][]imap.Pending {
	var out [][]imap.Pending
	for len(pending) > 0 {
		n, size := 0, int64(0)
		for n < len(pending) && n < batchMessages && (n == 0 || size+pending[n].Size <= batchBytes) {
			size += pending[n].Size
			n++
		}
		out = append(out, pending[:n])
		pending = pending[n:]
	}
	return out
}

// fetchedBatch is a batch as fetched: the mails read, those too large to read, and the
// error that cut the fetch short, if any.
type fetchedBatch struct {
	mails    []fetched
	oversize []imap.Pending
	err      error
}

// fetchBatch fetches the mails of a batch that are small enough to read.
func (r *Room) fetchBatch(ctx context.Context, c *imap.Client, batch []imap.Pending) fetchedBatch {
	var b fetchedBatch
	var uids []uint32
	for _, p := range batch {
		if p.Size > r.maxSize() {
			b.oversize = append(b.oversize, p)
			continue
		}
		uids = append(uids, p.UID)
	}
	if len(uids) == 0 {
		return b
	}
	b.err = c.Fetch(ctx, uids, func(uid uint32, raw []byte) error {
		b.mails = append(b.mails, fetched{uid: uid, raw: raw})
		return nil
	})
	return b
}

// takeFetched takes a fetched batch, including what arrived before a failed fetch; it
// returns the UIDs of the mails recorded, by folder.
func (r *Room) takeFetched(ctx context.Context, source string, b fetchedBatch) (map[string][]uint32, error) {
	filed := map[string][]uint32{}
	for _, p := range b.oversize {
		// Not read at all: recorded by its place and size, quarantined.
		m, err := r.takeOversize(ctx, source, p)
		if err != nil {
			return filed, err
		}
		filed[m.Folder] = append(filed[m.Folder], p.UID)
	}
	got, err := r.takeMany(ctx, b.mails)
	for folder, uids := range got {
		filed[folder] = append(filed[folder], uids...)
	}
	return filed, err
}

// takeOversize records a mail too large to read, by its place in the mailbox.
func (r *Room) takeOversize(ctx context.Context, source string, p imap.Pending) (store.Mail, error) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", source, p.UID, p.Size))
	m := store.Mail{
		MessageKey: "oversize:" + hex.EncodeToString(sum[:]), Size: p.Size, SHA256: "",
		Folder: store.FolderQuarantine, Kind: KindTooLarge,
		Note: fmt.Sprintf("%d bytes, larger than %d: not read; it stays in the quarantine folder", p.Size, r.maxSize()),
	}
	got, _, err := r.Store.TakeMail(ctx, m, nil, nil)
	return got, err
}
