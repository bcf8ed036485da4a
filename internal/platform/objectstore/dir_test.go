package objectstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/platform/objectstore"
)

func newDir(t *testing.T) (*objectstore.Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "objects")
	d, err := objectstore.NewDir(root)
	require.NoError(t, err)
	return d, root
}

func TestDir(t *testing.T) {
	t.Parallel()
	d, _ := newDir(t)
	testStore(t, d)
}

func TestDirLayout(t *testing.T) {
	t.Parallel()
	d, root := newDir(t)
	put(t, d, "tenants/t1/attachments/a.png", "png")
	b, err := os.ReadFile(filepath.Join(root, "tenants", "t1", "attachments", "a.png"))
	require.NoError(t, err)
	require.Equal(t, "png", string(b))
	st, err := os.Stat(filepath.Join(root, "tenants", "t1", "attachments", "a.png"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// Deleting the last object of a directory removes the directories its key made, up to
	// the root but not the root itself.
	put(t, d, "tenants/t2/b.png", "other tenant")
	require.NoError(t, d.Delete(ctx, "tenants/t1/attachments/a.png"))
	_, err = os.Stat(filepath.Join(root, "tenants", "t1"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, "other tenant", get(t, d, "tenants/t2/b.png"))
	require.NoError(t, d.Delete(ctx, "tenants/t2/b.png"))
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	require.Empty(t, entries, "no temporary file or empty directory is left")

	// A key that names a directory holds no object.
	put(t, d, "dir/child", "x")
	ok, err := d.Exists(ctx, "dir")
	require.NoError(t, err)
	require.False(t, ok)
	_, err = d.Get(ctx, "dir")
	require.ErrorIs(t, err, objectstore.ErrNotFound)
	require.NoError(t, d.Delete(ctx, "dir"))
	require.Equal(t, "x", get(t, d, "dir/child"))
	// Under a key that names a file nothing else is stored.
	_, err = d.Get(ctx, "dir/child/grandchild")
	require.ErrorIs(t, err, objectstore.ErrNotFound)
	require.NoError(t, d.Delete(ctx, "dir/child/grandchild"))
}

func TestDirRefusesTraversal(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	root := filepath.Join(parent, "objects")
	d, err := objectstore.NewDir(root)
	require.NoError(t, err)
	secret := filepath.Join(parent, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("outside"), 0o600))

	for _, tt := range []struct {
		name string
		key  string
	}{
		{name: "DotDot", key: "../secret.txt"},
		{name: "DotDotInside", key: "a/../../secret.txt"},
		{name: "DotDotSegment", key: "a/.."},
		{name: "Dot", key: "./a"},
		{name: "Absolute", key: secret},
		{name: "Backslash", key: `..\secret.txt`},
		{name: "EmptySegment", key: "a//b"},
		{name: "TrailingSlash", key: "a/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, d.Put(ctx, tt.key, strings.NewReader("x"), 1), objectstore.ErrInvalidKey)
			_, err := d.Get(ctx, tt.key)
			require.ErrorIs(t, err, objectstore.ErrInvalidKey)
			require.ErrorIs(t, d.Delete(ctx, tt.key), objectstore.ErrInvalidKey)
			_, err = d.Exists(ctx, tt.key)
			require.ErrorIs(t, err, objectstore.ErrInvalidKey)
			require.NotContains(t, err.Error(), tt.key, "errors do not quote keys")
		})
	}

	// A symlink inside the root that points outside it is not followed.
	require.NoError(t, os.Symlink(parent, filepath.Join(root, "escape")))
	_, err = d.Get(ctx, "escape/secret.txt")
	require.Error(t, err)
	require.NotErrorIs(t, err, objectstore.ErrNotFound, "an escape is an error, not a missing object")
	require.NotContains(t, err.Error(), "secret.txt", "errors do not quote keys")
	require.Error(t, d.Put(ctx, "escape/new.txt", strings.NewReader("x"), 1))
	require.Error(t, d.Delete(ctx, "escape/secret.txt"))
	_, statErr := os.Stat(filepath.Join(parent, "new.txt"))
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing was written outside the root")
	b, err := os.ReadFile(secret)
	require.NoError(t, err)
	require.Equal(t, "outside", string(b))
}

func TestNewDir(t *testing.T) {
	t.Parallel()
	_, err := objectstore.NewDir(" ")
	require.Error(t, err)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = objectstore.NewDir(file)
	require.Error(t, err, "the root is a file")
}
