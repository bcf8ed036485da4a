package objectstore_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"dsr/internal/platform/objectstore"
)

// fakeS3 serves an in-memory S3-compatible server for the test and returns its host:port.
func fakeS3(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	return u.Host
}

func newS3(t *testing.T) *objectstore.S3 {
	t.Helper()
	s, err := objectstore.NewS3(objectstore.S3Config{
		Endpoint: fakeS3(t), Bucket: "attachments", AccessKey: "test-access", SecretKey: "test-secret",
		Region: "eu-west-1", CreateBucket: true,
	})
	require.NoError(t, err)
	return s
}

func TestS3(t *testing.T) {
	t.Parallel()
	testStore(t, newS3(t))
}

func TestS3Bucket(t *testing.T) {
	t.Parallel()
	host := fakeS3(t)
	cfg := objectstore.S3Config{Endpoint: host, Bucket: "later", AccessKey: "a", SecretKey: "s"}

	// Without CreateBucket nothing is created: the store works once the bucket exists.
	s, err := objectstore.NewS3(cfg)
	require.NoError(t, err)
	err = s.Put(ctx, "k", strings.NewReader("x"), 1)
	require.Error(t, err)
	_, err = s.Get(ctx, "k")
	require.Error(t, err)
	require.NotErrorIs(t, err, objectstore.ErrNotFound, "a missing bucket is not a missing object")

	require.NoError(t, s.EnsureBucket(ctx, ""))
	require.NoError(t, s.EnsureBucket(ctx, ""), "EnsureBucket is idempotent")
	put(t, s, "k", "x")

	// A second store created with CreateBucket on the existing bucket sees the object.
	cfg.CreateBucket = true
	again, err := objectstore.NewS3(cfg)
	require.NoError(t, err)
	require.Equal(t, "x", get(t, again, "k"))
	require.Equal(t, "s3://"+host+"/later", again.String())
}

func TestS3Config(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  objectstore.S3Config
		want string
	}{
		{name: "NoEndpoint", cfg: objectstore.S3Config{Bucket: "b"}, want: "endpoint"},
		{name: "Scheme", cfg: objectstore.S3Config{Endpoint: "http://host", Bucket: "b"}, want: "endpoint"},
		{name: "NoBucket", cfg: objectstore.S3Config{Endpoint: "host:9000"}, want: "bucket"},
		{name: "HalfCredentials", cfg: objectstore.S3Config{Endpoint: "host:9000", Bucket: "b", AccessKey: "a"}, want: "together"},
	} {
		_, err := objectstore.NewS3(tt.cfg)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}
