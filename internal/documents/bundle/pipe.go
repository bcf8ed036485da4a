package bundle

import (
	"sync"
)

// Compressing the package is most of its CPU. The CSV files and data.json are therefore
// each written on by a goroutine of their own, through a pipe: while the connector's
// goroutine reads and encodes rows, the other core deflates what it encoded before.

const (
	// chunkSize is how many encoded bytes the caller gathers before handing them over.
	chunkSize = 64 << 10
	// chunkRoom is a chunk's capacity: the row that takes it past chunkSize fits, unless
	// it is longer than chunkRoom-chunkSize, and then the chunk grows.
	chunkRoom = chunkSize + 16<<10
	// pipeChunks is how many chunks a pipe has, the one being filled included: memory
	// stays at a few of them whatever the subject's size.
	pipeChunks = 4
)

// chunk is what a pipe's goroutine receives: an entry to start, then bytes to write to it.
type chunk struct {
	// entry, when set, names the zip entry data and later chunks belong to.
	entry string
	data  []byte
}

// pipe hands chunks to a goroutine that writes them, in order, with the write function it
// was started with. The caller appends to buf and calls flush once buf holds chunkSize bytes;
// it is the only one to touch buf. The first error of write is kept and returned by the
// following flush, open or close; the goroutine then drops what it is sent.
type pipe struct {
	buf []byte

	full   chan chunk
	free   chan []byte
	done   chan struct{}
	closed bool

	mu  sync.Mutex
	err error
}

func startPipe(write func(chunk) error) *pipe {
	p := &pipe{
		buf:  make([]byte, 0, chunkRoom),
		full: make(chan chunk, pipeChunks),
		free: make(chan []byte, pipeChunks),
		done: make(chan struct{}),
	}
	for range pipeChunks - 1 {
		p.free <- make([]byte, 0, chunkRoom)
	}
	go p.run(write)
	return p
}

func (p *pipe) run(write func(chunk) error) {
	defer close(p.done)
	for c := range p.full {
		if p.failed() == nil {
			if err := write(c); err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			}
		}
		if c.data == nil {
			continue
		}
		b := c.data[:0]
		if cap(b) > 4*chunkRoom {
			b = make([]byte, 0, chunkRoom) // an outsized row's chunk is not kept
		}
		p.free <- b // never blocks: free has room for every chunk
	}
}

func (p *pipe) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// flush hands buf to the goroutine, if it holds anything, and takes an empty chunk for buf,
// waiting while every chunk is being written.
func (p *pipe) flush() error {
	if err := p.failed(); err != nil {
		return err
	}
	if len(p.buf) == 0 {
		return nil
	}
	p.full <- chunk{data: p.buf}
	p.buf = <-p.free
	return nil
}

// open starts the zip entry name: what was appended so far goes to the entry before it.
func (p *pipe) open(name string) error {
	if err := p.flush(); err != nil {
		return err
	}
	p.full <- chunk{entry: name}
	return nil
}

// close hands over what is left, waits until the goroutine has written everything and
// returns the first error of write. The goroutine is gone when close returns.
func (p *pipe) close() error {
	if p.closed {
		return p.failed()
	}
	err := p.flush()
	p.stop()
	if err != nil {
		return err
	}
	return p.failed()
}

// stop ends the goroutine without handing over buf: for a package that failed. It waits
// for the chunk being written, so that nothing writes to the files once it returns.
func (p *pipe) stop() {
	if p.closed {
		return
	}
	p.closed = true
	close(p.full)
	<-p.done
}
