package objectstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/internal/platform/objectstore"
)

var ctx = context.Background()

// put stores body under key.
func put(t *testing.T, s objectstore.Store, key, body string) {
	t.Helper()
	require.NoError(t, s.Put(ctx, key, strings.NewReader(body), int64(len(body))))
}

// get reads the object under key.
func get(t *testing.T, s objectstore.Store, key string) string {
	t.Helper()
	rc, err := s.Get(ctx, key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// testStore checks the Store contract; every implementation runs it.
func testStore(t *testing.T, s objectstore.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		key := "tenants/a/attachments/receipt.png"
		body := strings.Repeat("0123456789", 10_000)
		put(t, s, key, body)
		require.Equal(t, body, get(t, s, key))
		ok, err := s.Exists(ctx, key)
		require.NoError(t, err)
		require.True(t, ok)

		put(t, s, key, "replaced")
		require.Equal(t, "replaced", get(t, s, key), "Put replaces the object whole")

		put(t, s, "tenants/a/empty", "")
		require.Empty(t, get(t, s, "tenants/a/empty"))
	})

	t.Run("UnknownSize", func(t *testing.T) {
		t.Parallel()
		require.NoError(t, s.Put(ctx, "unknown/size", io.MultiReader(strings.NewReader("abc"), strings.NewReader("def")), -1))
		require.Equal(t, "abcdef", get(t, s, "unknown/size"))
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		_, err := s.Get(ctx, "missing/key")
		require.ErrorIs(t, err, objectstore.ErrNotFound)
		ok, err := s.Exists(ctx, "missing/key")
		require.NoError(t, err)
		require.False(t, ok)
	})

	t.Run("DeleteIdempotent", func(t *testing.T) {
		t.Parallel()
		key := "delete/me.pdf"
		put(t, s, key, "content")
		put(t, s, "delete/neighbour.pdf", "stays")
		for range 2 {
			require.NoError(t, s.Delete(ctx, key))
			ok, err := s.Exists(ctx, key)
			require.NoError(t, err)
			require.False(t, ok)
			_, err = s.Get(ctx, key)
			require.ErrorIs(t, err, objectstore.ErrNotFound)
		}
		require.NoError(t, s.Delete(ctx, "never/stored"))
		require.Equal(t, "stays", get(t, s, "delete/neighbour.pdf"))
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		t.Parallel()
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Go(func() {
				// Half of them write one shared key, half their own.
				key := fmt.Sprintf("concurrent/own-%d", i)
				if i%2 == 0 {
					key = "concurrent/shared"
				}
				body := bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
				errs[i] = s.Put(ctx, key, bytes.NewReader(body), int64(len(body)))
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "put %d", i)
		}
		for i := 1; i < len(errs); i += 2 {
			require.Equal(t, strings.Repeat(string(rune('a'+i)), 64<<10), get(t, s, fmt.Sprintf("concurrent/own-%d", i)))
		}
		shared := get(t, s, "concurrent/shared")
		require.Len(t, shared, 64<<10)
		require.Equal(t, strings.Repeat(shared[:1], len(shared)), shared, "one writer's content, whole")
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name string
			key  string
		}{
			{name: "Empty", key: ""},
			{name: "NUL", key: "a\x00b"},
			{name: "NotUTF8", key: "a\xffb"},
			{name: "TooLong", key: strings.Repeat("k", 1025)},
		} {
			require.ErrorIs(t, s.Put(ctx, tt.key, strings.NewReader("x"), 1), objectstore.ErrInvalidKey, tt.name)
			_, err := s.Get(ctx, tt.key)
			require.ErrorIs(t, err, objectstore.ErrInvalidKey, tt.name)
			require.ErrorIs(t, s.Delete(ctx, tt.key), objectstore.ErrInvalidKey, tt.name)
			_, err = s.Exists(ctx, tt.key)
			require.ErrorIs(t, err, objectstore.ErrInvalidKey, tt.name)
		}
	})

	t.Run("LongBody", func(t *testing.T) {
		t.Parallel()
		require.NoError(t, s.Put(ctx, "long/body", strings.NewReader("abcdef"), 3))
		require.Equal(t, "abc", get(t, s, "long/body"), "Put reads size bytes")
	})

	t.Run("ShortBody", func(t *testing.T) {
		t.Parallel()
		err := s.Put(ctx, "short/body", strings.NewReader("abc"), 10)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "a reader that yields less than size fails the put")
		ok, err := s.Exists(ctx, "short/body")
		require.NoError(t, err)
		require.False(t, ok, "a failed put stores nothing")
	})
}
