// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/berthdev/berth/internal/blob"
)

const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// section is the Body of a GetObject answer: n bytes of a blob from off.
// It owns the blob Reader and closes it. WriteTo hands a whole file
// section to the connection (sendfile) when the blob is a local file and
// the response writer can take it, and copies through a pooled buffer
// otherwise; either way nothing is held in memory beyond one buffer.
type section struct {
	r      blob.Reader
	off, n int64
}

var (
	_ io.ReadCloser = (*section)(nil)
	_ io.WriterTo   = (*section)(nil)
)

// Read implements io.Reader.
func (s *section) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	k, err := s.r.ReadAt(p, s.off)
	s.off += int64(k)
	s.n -= int64(k)
	if errors.Is(err, io.EOF) {
		if s.n > 0 {
			return k, io.ErrUnexpectedEOF // the blob is shorter than its record says
		}
		err = nil
	}
	return k, err
}

// WriteTo implements io.WriterTo.
func (s *section) WriteTo(w io.Writer) (int64, error) {
	if f, ok := s.r.(interface{ OSFile() *os.File }); ok {
		if rf := readerFrom(w); rf != nil {
			file := f.OSFile()
			if _, err := file.Seek(s.off, io.SeekStart); err == nil {
				k, err := rf.ReadFrom(io.LimitReader(file, s.n))
				s.off += k
				s.n -= k
				if err == nil && s.n > 0 {
					err = io.ErrUnexpectedEOF
				}
				return k, err
			}
		}
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	var total int64
	for s.n > 0 {
		k, rerr := s.Read(*bp)
		if k > 0 {
			wk, werr := w.Write((*bp)[:k])
			total += int64(wk)
			if werr != nil {
				return total, werr
			}
		}
		if rerr != nil {
			return total, rerr
		}
	}
	return total, nil
}

// readerFrom finds an io.ReaderFrom under response-writer wrappers (the
// gateway's status recorder unwraps to net/http's writer, whose ReadFrom
// uses sendfile for a limited *os.File). The wrappers have written the
// status line already by the time a body is copied.
func readerFrom(w io.Writer) io.ReaderFrom {
	for range 8 {
		if rf, ok := w.(io.ReaderFrom); ok {
			return rf
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// Close implements io.Closer.
func (s *section) Close() error { return s.r.Close() }
