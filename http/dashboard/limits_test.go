package dashboard_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// zeros reads as an endless run of zero bytes, without holding them.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// upload is a multipart sign-in form with a 100 MB file part, streamed, and its exact
// length (-1 when sent in chunks).
func upload(chunked bool) (io.Reader, string, int64) {
	const size = 100 << 20
	form := func(w io.Writer, boundary string, file io.Reader) (string, error) {
		mw := multipart.NewWriter(w)
		if boundary != "" {
			if err := mw.SetBoundary(boundary); err != nil {
				return "", err
			}
		}
		_ = mw.WriteField("email", "someone@vendor.example")
		part, err := mw.CreateFormFile("password", "blob.bin")
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(part, file); err != nil {
			return "", err
		}
		return mw.Boundary(), mw.Close()
	}
	// The framing around the file, measured on an empty one.
	var frame bytes.Buffer
	boundary, _ := form(&frame, "", strings.NewReader(""))
	pr, pw := io.Pipe()
	go func() {
		_, err := form(pw, boundary, io.LimitReader(zeros{}, size))
		pw.CloseWithError(err)
	}()
	ct := "multipart/form-data; boundary=" + boundary
	if chunked {
		return pr, ct, -1
	}
	return pr, ct, int64(frame.Len()) + size
}

// TestHugeFormsRefused: eight parallel 100 MB sign-in forms, half announced with their
// length, half sent in chunks, are each refused with 413 before the sign-in runs, and the
// server allocates far less than they weigh (under 64 MB over the baseline in all).
// Not parallel: the allocation count is the process's.
func TestHugeFormsRefused(t *testing.T) {
	h := newHarness(t, options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			body, ct, n := upload(i%2 == 1)
			req, err := http.NewRequest("POST", h.URL+"/login", body)
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", ct)
			req.ContentLength = n
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = -1
				t.Logf("upload %d: %v", i, err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
			if !strings.Contains(string(b), "larger than 1024 KiB") {
				statuses[i] = -2
				t.Logf("upload %d: %s", i, b)
			}
		})
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	for i, s := range statuses {
		require.Equal(t, http.StatusRequestEntityTooLarge, s, "upload %d (chunked: %v)", i, i%2 == 1)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("8 uploads of 100 MB: %d MB allocated by the whole process while they ran", allocated>>20)
	require.Less(t, allocated, uint64(64<<20), fmt.Sprintf("%d bytes allocated", allocated))
}
