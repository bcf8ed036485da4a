package objectstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Dir keeps each object in a file under a root directory, the key being its path relative
// to the root. Files are written to a temporary name and renamed into place.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir returns the store under root, creating the directory (mode 0700) if needed.
func NewDir(root string) (*Dir, error) {
	if strings.TrimSpace(root) == "" {
		return nil, errors.New("object directory: path is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("object directory %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("object directory %s: %w", abs, err)
	}
	return &Dir{root: abs}, nil
}

// Root returns the directory's absolute path.
func (d *Dir) Root() string { return d.root }

// String names the store for logs.
func (d *Dir) String() string { return "file://" + filepath.ToSlash(d.root) }

// dirKey checks a key for use as a path under the root and returns it in the OS's form.
func dirKey(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if strings.HasPrefix(key, "/") || strings.Contains(key, `\`) {
		return "", fmt.Errorf("key is absolute or holds a backslash: %w", ErrInvalidKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("key has an empty, . or .. segment: %w", ErrInvalidKey)
		}
	}
	name := filepath.FromSlash(key)
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("key is not a local path: %w", ErrInvalidKey)
	}
	return name, nil
}

// tempPrefix starts the names of the files Put writes before renaming them into place; the
// rest of the name is random and the file is created exclusively.
const tempPrefix = ".put-"

// Put writes r to a temporary file next to the object and renames it into place.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	name, err := dirKey(key)
	if err != nil {
		return fmt.Errorf("put object: %w", scrub(err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put object: %w", scrub(err))
	}
	root, err := os.OpenRoot(d.root)
	if err != nil {
		return fmt.Errorf("put object: %w", scrub(err))
	}
	defer root.Close() //nolint:errcheck // nothing written through it is pending

	dir := filepath.Dir(name)
	var (
		f   *os.File
		tmp string
	)
	// A concurrent Delete may remove the (empty) parent between MkdirAll and OpenFile:
	// try again a few times.
	for attempt := 0; ; attempt++ {
		if dir != "." {
			if err := root.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("put object: create directory: %w", scrub(err))
			}
		}
		tmp = filepath.Join(dir, tempPrefix+randomSuffix())
		f, err = root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 3 {
			return fmt.Errorf("put object: create file: %w", scrub(err))
		}
	}
	done := false
	defer func() {
		if !done {
			f.Close()        //nolint:errcheck // already failing
			root.Remove(tmp) //nolint:errcheck // best effort: a stray temporary file
		}
	}()
	if size >= 0 {
		r = &sizedReader{r: r, left: size}
	}
	if _, err := io.Copy(f, contextReader{ctx: ctx, r: r}); err != nil {
		return fmt.Errorf("put object: write: %w", scrub(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put object: sync: %w", scrub(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put object: close: %w", scrub(err))
	}
	if err := root.Rename(tmp, name); err != nil {
		return fmt.Errorf("put object: move into place: %w", scrub(err))
	}
	done = true
	return nil
}

// Get opens the object's file.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := dirKey(key)
	if err != nil {
		return nil, fmt.Errorf("get object: %w", scrub(err))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get object: %w", scrub(err))
	}
	root, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, fmt.Errorf("get object: %w", scrub(err))
	}
	defer root.Close() //nolint:errcheck // the opened file outlives it
	f, err := root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return nil, fmt.Errorf("get object: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("get object: %w", scrub(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close() //nolint:errcheck // already failing
		return nil, fmt.Errorf("get object: %w", scrub(err))
	}
	if !st.Mode().IsRegular() {
		f.Close() //nolint:errcheck // already failing
		return nil, fmt.Errorf("get object: not a file: %w", ErrNotFound)
	}
	return f, nil
}

// Delete removes the object's file, then the directories above it that became empty.
func (d *Dir) Delete(ctx context.Context, key string) error {
	name, err := dirKey(key)
	if err != nil {
		return fmt.Errorf("delete object: %w", scrub(err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete object: %w", scrub(err))
	}
	root, err := os.OpenRoot(d.root)
	if err != nil {
		return fmt.Errorf("delete object: %w", scrub(err))
	}
	defer root.Close() //nolint:errcheck // nothing pending
	st, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
		return nil
	case err != nil:
		return fmt.Errorf("delete object: %w", scrub(err))
	case st.IsDir():
		// A key that names a directory (a prefix of other keys) holds no object.
		return nil
	}
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete object: %w", scrub(err))
	}
	// Directory names come from keys too: leave none behind. Remove fails on a directory
	// that is not empty, which ends the walk.
	for dir := filepath.Dir(name); dir != "."; dir = filepath.Dir(dir) {
		if root.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// Exists reports whether a file is stored under key.
func (d *Dir) Exists(ctx context.Context, key string) (bool, error) {
	name, err := dirKey(key)
	if err != nil {
		return false, fmt.Errorf("stat object: %w", scrub(err))
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("stat object: %w", scrub(err))
	}
	root, err := os.OpenRoot(d.root)
	if err != nil {
		return false, fmt.Errorf("stat object: %w", scrub(err))
	}
	defer root.Close() //nolint:errcheck // nothing pending
	st, err := root.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("stat object: %w", scrub(err))
	}
	return st.Mode().IsRegular(), nil
}

// isNotDir reports an error from a path whose parent is a file (the key "a/b" when "a" is an
// object): no object is stored there.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// contextReader stops a copy when its context ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
