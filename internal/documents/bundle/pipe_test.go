package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorded is what a pipe's goroutine wrote: the bytes of each entry, in order.
type recorded struct {
	names []string
	files map[string]*bytes.Buffer
}

func (r *recorded) write(c chunk) error {
	if c.entry != "" {
		r.names = append(r.names, c.entry)
		r.files[c.entry] = &bytes.Buffer{}
	}
	if len(c.data) == 0 {
		return nil
	}
	if len(r.names) == 0 {
		return errors.New("data before any entry")
	}
	r.files[r.names[len(r.names)-1]].Write(c.data)
	return nil
}

func TestPipeWritesInOrder(t *testing.T) {
	t.Parallel()
	rec := &recorded{files: map[string]*bytes.Buffer{}}
	p := startPipe(rec.write)
	want := map[string]string{}
	for _, name := range []string{"a.csv", "empty.csv", "b.csv"} {
		require.NoError(t, p.open(name))
		var all bytes.Buffer
		rows := map[string]int{"a.csv": 40_000, "b.csv": 3}[name]
		for i := range rows {
			line := fmt.Sprintf("%d,row %d of %s\n", i, i, name)
			all.WriteString(line)
			p.buf = append(p.buf, line...)
			if len(p.buf) >= chunkSize {
				require.NoError(t, p.flush())
			}
		}
		want[name] = all.String()
	}
	require.NoError(t, p.close())
	require.NoError(t, p.close(), "closing twice is harmless")
	p.stop()

	require.Equal(t, []string{"a.csv", "empty.csv", "b.csv"}, rec.names)
	for name, w := range want {
		require.Equal(t, w, rec.files[name].String(), name)
	}
	require.Greater(t, len(want["a.csv"]), 10*chunkSize, "many more chunks than the pipe has")
}

func TestPipeKeepsTheFirstError(t *testing.T) {
	t.Parallel()
	errDisk := errors.New("no space left on device")
	calls := 0
	p := startPipe(func(chunk) error {
		calls++
		if calls == 2 {
			return errDisk
		}
		if calls > 2 {
			return errors.New("written after the error")
		}
		return nil
	})
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		p.buf = append(p.buf, make([]byte, chunkSize)...)
		err = p.flush()
	}
	require.ErrorIs(t, err, errDisk, "flush reports the goroutine's error")
	require.ErrorIs(t, p.open("next.csv"), errDisk)
	require.ErrorIs(t, p.close(), errDisk)
	require.Equal(t, 2, calls, "nothing is written after the first error")
}

func TestPipeStopDropsWhatIsLeft(t *testing.T) {
	t.Parallel()
	rec := &recorded{files: map[string]*bytes.Buffer{}}
	p := startPipe(rec.write)
	require.NoError(t, p.open("a.csv"))
	p.buf = append(p.buf, "handed over\n"...)
	require.NoError(t, p.flush())
	p.buf = append(p.buf, "never handed over\n"...)
	p.stop()
	p.stop()
	select {
	case <-p.done:
	default:
		t.Fatal("the goroutine is still running after stop")
	}
	require.Equal(t, "handed over\n", rec.files["a.csv"].String())
	require.NoError(t, p.close(), "close after stop reports the goroutine's error, none here")
}
