package objectstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/platform/objectstore"
)

func TestOpenDir(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, tt := range []struct {
		name string
		url  string
		root string
	}{
		{name: "FileURL", url: "file://" + filepath.ToSlash(filepath.Join(base, "a")), root: filepath.Join(base, "a")},
		{name: "FileURLLocalhost", url: "file://localhost" + filepath.ToSlash(filepath.Join(base, "b")), root: filepath.Join(base, "b")},
		{name: "PlainPath", url: filepath.Join(base, "c"), root: filepath.Join(base, "c")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := objectstore.Open(tt.url)
			require.NoError(t, err)
			d, ok := s.(*objectstore.Dir)
			require.True(t, ok, "%T", s)
			require.Equal(t, tt.root, d.Root())
			st, err := os.Stat(tt.root)
			require.NoError(t, err)
			require.True(t, st.IsDir(), "the directory is created")
		})
	}
}

func TestOpenS3(t *testing.T) {
	t.Parallel()
	host := fakeS3(t)
	s, err := objectstore.Open("s3://key%2Fid:se%40cret@" + host + "/bucket-1?region=us-east-1&tls=0&create_bucket=1")
	require.NoError(t, err)
	require.IsType(t, &objectstore.S3{}, s)
	require.Equal(t, "s3://"+host+"/bucket-1", s.(*objectstore.S3).String(), "no credentials in the name")
	put(t, s, "a/b", "over s3")
	require.Equal(t, "over s3", get(t, s, "a/b"))
}

func TestOpenInvalid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		url  string
		want string
	}{
		{name: "Empty", url: "", want: "empty"},
		{name: "Scheme", url: "ftp://host/x", want: "scheme"},
		{name: "FileHost", url: "file://elsewhere/x", want: "local path"},
		{name: "NoBucket", url: "s3://a:s@host:9000", want: "bucket"},
		{name: "Prefix", url: "s3://a:s@host:9000/bucket/prefix", want: "bucket"},
		{name: "NoHost", url: "s3:///bucket", want: "host"},
		{name: "BadTLS", url: "s3://a:s@host:9000/b?tls=maybe", want: "tls"},
		{name: "UnknownParameter", url: "s3://a:s@host:9000/b?acl=public", want: "acl"},
		{name: "Unparsable", url: "s3://a:topsecret@host:9000/b%zz", want: "not a valid URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := objectstore.Open(tt.url)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "topsecret", "errors never repeat credentials")
		})
	}
}
