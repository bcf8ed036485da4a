package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Store keeps objects by key. Implementations are safe for concurrent use.
type Store interface {
	// Put stores size bytes read from r (all of r when size is below zero) under key,
	// replacing any object there. A reader that ends before size bytes fails the put and
	// stores nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens the object under key; the caller closes it. A missing object is
	// ErrNotFound (errors.Is).
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object under key. A missing object is not an error.
	Delete(ctx context.Context, key string) error
	// Exists reports whether an object is stored under key.
	Exists(ctx context.Context, key string) (bool, error)
}

// ErrNotFound is returned by Get when no object is stored under the key.
var ErrNotFound = errors.New("object not found")

// ErrInvalidKey is returned for a key the store refuses; see the package documentation.
var ErrInvalidKey = errors.New("invalid object key")

// maxKeyLen is S3's limit on the length of a key, in bytes.
const maxKeyLen = 1024

// checkKey applies the rules every store shares. Errors never quote the key: keys may be
// made from file names, which are personal data.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("key is empty: %w", ErrInvalidKey)
	case len(key) > maxKeyLen:
		return fmt.Errorf("key is longer than %d bytes: %w", maxKeyLen, ErrInvalidKey)
	case !utf8.ValidString(key):
		return fmt.Errorf("key is not valid UTF-8: %w", ErrInvalidKey)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("key holds a NUL byte: %w", ErrInvalidKey)
	}
	return nil
}

// Open returns the store that rawURL (OBJECT_STORE_URL) names:
//
//   - "file:///var/lib/dsr/objects" or a plain path ("./data/objects"): a Dir, created if
//     missing;
//   - "s3://ACCESS:SECRET@host:port/bucket?region=eu-west-1&tls=0&create_bucket=1": an S3
//     bucket. tls defaults to 1 (HTTPS); create_bucket (default 0) creates the bucket when
//     it does not exist. The access key and secret are percent-encoded.
//
// Errors never repeat the URL, which may hold a secret.
func Open(rawURL string) (Store, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, errors.New("object store URL is empty")
	}
	if !strings.Contains(rawURL, "://") {
		return NewDir(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, credentials included: do not wrap it.
		return nil, errors.New("object store URL is not a valid URL")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("object store URL: file URLs name a local path (file:///path), not host %q", u.Host)
		}
		if u.Path == "" {
			return nil, errors.New("object store URL: file URL has no path")
		}
		return NewDir(u.Path)
	case "s3":
		cfg, err := s3ConfigFromURL(u)
		if err != nil {
			return nil, fmt.Errorf("object store URL: %w", err)
		}
		return NewS3(cfg)
	}
	return nil, fmt.Errorf("object store URL: scheme %q is not file or s3", u.Scheme)
}

func s3ConfigFromURL(u *url.URL) (S3Config, error) {
	cfg := S3Config{Endpoint: u.Host, UseTLS: true}
	if u.Host == "" {
		return cfg, errors.New("s3 URL has no host")
	}
	if u.User != nil {
		cfg.AccessKey = u.User.Username()
		cfg.SecretKey, _ = u.User.Password()
	}
	cfg.Bucket = strings.Trim(u.Path, "/")
	if cfg.Bucket == "" || strings.Contains(cfg.Bucket, "/") {
		return cfg, errors.New("s3 URL must name exactly one bucket as its path (s3://host/bucket)")
	}
	for name, values := range u.Query() {
		v := values[len(values)-1]
		switch name {
		case "region":
			cfg.Region = v
		case "tls":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return cfg, fmt.Errorf("s3 URL: tls=%q is not 0 or 1", v)
			}
			cfg.UseTLS = b
		case "create_bucket":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return cfg, fmt.Errorf("s3 URL: create_bucket=%q is not 0 or 1", v)
			}
			cfg.CreateBucket = b
		default:
			return cfg, fmt.Errorf("s3 URL: unknown parameter %q (known: region, tls, create_bucket)", name)
		}
	}
	return cfg, nil
}

// scrub drops the file path or request URL that errors from the os and net/http packages
// carry: both are made from the key, which may hold a file name, that is personal data. The
// underlying error (fs.ErrNotExist, a syscall error, a dial error) stays in the chain.
func scrub(err error) error {
	var (
		pe *fs.PathError
		le *os.LinkError
		ue *url.Error
	)
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	case errors.As(err, &le):
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	case errors.As(err, &ue):
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// errShortBody wraps io.ErrUnexpectedEOF rather than being it: minio-go takes a bare
// io.ErrUnexpectedEOF from a reader for the end of a short body, sends it, has it refused
// and retries for seconds.
var errShortBody = fmt.Errorf("reader ended before the size given: %w", io.ErrUnexpectedEOF)

// sizedReader yields at most size bytes of r and turns an early end into errShortBody, so
// that a short reader fails a put at once.
type sizedReader struct {
	r    io.Reader
	left int64
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		return n, errShortBody
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}
