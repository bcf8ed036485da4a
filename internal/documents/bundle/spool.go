package bundle

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"
)

// spooled is data.json deflated into a scratch file while the CSV files go into the zip,
// with what the zip needs to take it as it is: its CRC-32 and sizes.
type spooled struct {
	file *os.File
	out  *bufio.Writer
	fw   io.WriteCloser
	crc  uint32
	size int64
}

func newSpooled(file *os.File) *spooled {
	out := bufio.NewWriterSize(file, 64<<10)
	fw, _ := newDeflater(out) // fails only for an unknown level
	return &spooled{file: file, out: out, fw: fw}
}

// write deflates a chunk of data.json; the json pipe's goroutine calls it.
func (s *spooled) write(c chunk) error {
	s.crc = crc32.Update(s.crc, crc32.IEEETable, c.data)
	s.size += int64(len(c.data))
	_, err := s.fw.Write(c.data)
	return err
}

// close ends the deflate stream and writes out what is buffered.
func (s *spooled) close() error {
	if err := s.fw.Close(); err != nil {
		return err
	}
	return s.out.Flush()
}

// copyInto adds the spooled file to zw as name, compressed as it is, dated modified the way
// zip.Writer.CreateHeader dates the other files.
func (s *spooled) copyInto(zw *zip.Writer, name string, modified time.Time) error {
	compressed, err := s.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	fh := &zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		CRC32:              s.crc,
		CompressedSize64:   uint64(compressed),
		UncompressedSize64: uint64(s.size),
		CreatorVersion:     20, // 2.0, what CreateHeader writes: deflate
		ReaderVersion:      20,
	}
	setModified(fh, modified)
	f, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, s.file)
	if err != nil {
		return err
	}
	if n != compressed {
		return fmt.Errorf("spool holds %d bytes, %d were written to it", n, compressed)
	}
	return nil
}

// setModified dates fh at t as CreateHeader does (CreateRaw does not): the MS-DOS date and
// time fields, in t's own zone, and Info-ZIP's extended timestamp (extra field 0x5455:
// flags 1, then the modification time in Unix seconds), which readers prefer.
func setModified(fh *zip.FileHeader, t time.Time) {
	if t.IsZero() {
		return
	}
	fh.Modified = t
	date := uint16(t.Day() | int(t.Month())<<5 | (t.Year()-1980)<<9)
	clock := uint16(t.Second()/2 | t.Minute()<<5 | t.Hour()<<11)
	//lint:ignore SA1019 CreateRaw writes these fields as they are and does not derive them from Modified
	fh.ModifiedDate, fh.ModifiedTime = date, clock
	extra := make([]byte, 9)
	binary.LittleEndian.PutUint16(extra[0:], 0x5455)
	binary.LittleEndian.PutUint16(extra[2:], 5)
	extra[4] = 1
	binary.LittleEndian.PutUint32(extra[5:], uint32(t.Unix()))
	fh.Extra = append(fh.Extra, extra...)
}
