package mailroom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"dsr/mailbox"
	"dsr/store"
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
	// takers is how many mails are taken at once.
	takers = 8
)

// Poll takes up to limit mails from the mailbox's source folder and files each in its
// folder. A mail is filed only after it is recorded, so a poll cut short leaves the rest
// for the next one, which finds the recorded ones by their Message-ID. progress, when set,
// is called after each batch.
func (r *Room) Poll(ctx context.Context, limit int, progress func(PollResult)) (PollResult, error) {
	res := PollResult{ByFolder: map[string]int{}}
	c, err := mailbox.Dial(ctx, r.MailboxURL)
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
	for len(pending) > 0 {
		n, size := 0, int64(0)
		for n < len(pending) && n < batchMessages && (n == 0 || size+pending[n].Size <= batchBytes) {
			size += pending[n].Size
			n++
		}
		batch := pending[:n]
		pending = pending[n:]
		filed, err := r.takeBatch(ctx, c, batch)
		for folder, uids := range filed {
			if len(uids) == 0 {
				continue
			}
			if merr := c.Move(ctx, uids, FolderPrefix+folder); merr != nil {
				return res, errors.Join(err, merr)
			}
			res.Filed += len(uids)
			res.ByFolder[folder] += len(uids)
		}
		for _, uids := range filed {
			res.Taken += len(uids)
		}
		if err != nil {
			return res, err
		}
		if progress != nil {
			progress(res)
		}
	}
	return res, nil
}

// takeBatch fetches a batch and takes its mails, several at once; it returns the UIDs of
// the mails recorded, by folder.
func (r *Room) takeBatch(ctx context.Context, c *mailbox.Client, batch []mailbox.Pending) (map[string][]uint32, error) {
	filed := map[string][]uint32{}
	var mu sync.Mutex
	var fetch []uint32
	for _, p := range batch {
		if p.Size > r.maxSize() {
			// Not read at all: recorded by its place and size, quarantined.
			m, err := r.takeOversize(ctx, c.Source(), p)
			if err != nil {
				return filed, err
			}
			filed[m.Folder] = append(filed[m.Folder], p.UID)
			continue
		}
		fetch = append(fetch, p.UID)
	}
	if len(fetch) == 0 {
		return filed, nil
	}
	type job struct {
		uid uint32
		raw []byte
	}
	jobs := make(chan job)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var errs []error
	for range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				m, err := r.Take(ctx, j.raw)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("take mail (uid %d): %w", j.uid, err))
					cancel()
				} else {
					filed[m.Folder] = append(filed[m.Folder], j.uid)
				}
				mu.Unlock()
			}
		}()
	}
	ferr := c.Fetch(ctx, fetch, func(uid uint32, raw []byte) error {
		select {
		case jobs <- job{uid, raw}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		return filed, errors.Join(errs...)
	}
	if ferr != nil {
		return filed, fmt.Errorf("fetch mail: %w", ferr)
	}
	return filed, nil
}

// takeOversize records a mail too large to read, by its place in the mailbox.
func (r *Room) takeOversize(ctx context.Context, source string, p mailbox.Pending) (store.Mail, error) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", source, p.UID, p.Size))
	m := store.Mail{
		MessageKey: "oversize:" + hex.EncodeToString(sum[:]), Size: p.Size, SHA256: "",
		Folder: store.FolderQuarantine, Kind: KindTooLarge,
		Note: fmt.Sprintf("%d bytes, larger than %d: not read; it stays in the quarantine folder", p.Size, r.maxSize()),
	}
	got, _, err := r.Store.TakeMail(ctx, m, nil, nil)
	return got, err
}
