package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says which bucket of which S3-compatible server an S3 store uses.
type S3Config struct {
	// Endpoint is host[:port], without a scheme.
	Endpoint string
	Bucket   string
	// AccessKey and SecretKey sign the requests; both empty means anonymous access.
	AccessKey string
	SecretKey string
	// Region is the bucket's region; empty lets the client ask the server.
	Region string
	// UseTLS selects HTTPS.
	UseTLS bool
	// CreateBucket makes NewS3 create the bucket when it does not exist.
	CreateBucket bool
}

func (c S3Config) validate() error {
	var errs []error
	if c.Endpoint == "" || strings.Contains(c.Endpoint, "/") {
		errs = append(errs, errors.New("endpoint must be host[:port] without a scheme"))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("bucket is empty"))
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		errs = append(errs, errors.New("access key and secret key must be given together"))
	}
	return errors.Join(errs...)
}

// S3 keeps objects in one bucket of an S3-compatible server.
type S3 struct {
	client *minio.Client
	bucket string
}

var _ Store = (*S3)(nil)

// bucketSetupTimeout bounds the bucket check and creation NewS3 does for CreateBucket.
const bucketSetupTimeout = 30 * time.Second

// NewS3 returns the store on cfg's bucket. It makes no request unless cfg.CreateBucket is
// set, in which case it creates the bucket when missing.
func NewS3(cfg S3Config) (*S3, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("s3 object store: %w", err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		// Empty keys make the client send anonymous requests.
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 object store %s: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket}
	if cfg.CreateBucket {
		ctx, cancel := context.WithTimeout(context.Background(), bucketSetupTimeout)
		defer cancel()
		if err := s.EnsureBucket(ctx, cfg.Region); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// String names the store for logs, without credentials.
func (s *S3) String() string {
	return fmt.Sprintf("s3://%s/%s", s.client.EndpointURL().Host, s.bucket)
}

// EnsureBucket creates the store's bucket in region when it does not exist.
func (s *S3) EnsureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 object store: look for bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region}); err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			return nil
		}
		return fmt.Errorf("s3 object store: create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// putOptions are the same over HTTP and HTTPS. Over HTTPS the client signs headers only
// (UNSIGNED-PAYLOAD) and TLS protects the body; over plain HTTP it would switch to
// aws-chunked streaming signatures, which not every S3-compatible server accepts, so that is
// turned off and the body is protected by its Content-MD5, which the server checks.
var putOptions = minio.PutObjectOptions{DisableContentSha256: true, SendContentMd5: true}

// Put uploads the object; with size below zero the upload is multipart.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("put object: %w", err)
	}
	if size >= 0 {
		r = &sizedReader{r: r, left: size}
	}
	if _, err := s.client.PutObject(ctx, s.bucket, key, r, size, putOptions); err != nil {
		return fmt.Errorf("put object in bucket %s: %w", s.bucket, scrub(err))
	}
	return nil
}

// Get opens the object. It asks for the object's metadata first, so that a missing object
// is reported here as ErrNotFound rather than on the first Read.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get object from bucket %s: %w", s.bucket, notFound(err))
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close() //nolint:errcheck // already failing
		return nil, fmt.Errorf("get object from bucket %s: %w", s.bucket, notFound(err))
	}
	return obj, nil
}

// Delete removes the object; S3 answers a deletion of a missing key with success too.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(notFound(err), ErrNotFound) {
		return fmt.Errorf("delete object from bucket %s: %w", s.bucket, scrub(err))
	}
	return nil
}

// Exists asks for the object's metadata.
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, fmt.Errorf("stat object: %w", err)
	}
	_, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(notFound(err), ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("stat object in bucket %s: %w", s.bucket, scrub(err))
}

// notFound turns the server's "no such key" into ErrNotFound and scrubs other errors. A
// missing bucket stays an error: it is a configuration mistake, not a missing object.
func notFound(err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("%w (%s)", ErrNotFound, minio.NoSuchKey)
	}
	return scrub(err)
}
