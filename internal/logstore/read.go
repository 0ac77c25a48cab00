// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logstore

import (
	"errors"
	"fmt"
	"math"
	"os"
	"unsafe"
)

// Range bounds a read by event time: Start inclusive, End exclusive, in ms
// since the epoch. The zero Range is unbounded.
type Range struct{ Start, End int64 }

func (r Range) norm() Range {
	if r.End == 0 {
		r.End = math.MaxInt64
	}
	return r
}

// Query selects the events a Cursor returns.
type Query struct {
	Range
	// From and To bound sequence numbers: From inclusive, To exclusive
	// (0 means no bound).
	From, To int64
	// Backward returns events newest first, starting just before To.
	Backward bool
	// Match, when set, keeps only the events whose message it accepts. The
	// string it is given aliases a read buffer: it must not be retained.
	Match func(message string) bool
}

// Cursor iterates over one stream's events, one index block at a time,
// skipping blocks outside the query's sequence and time bounds without
// reading them. It sees the events stored when it was made. A Cursor is
// not safe for concurrent use; Close it when done.
type Cursor struct {
	q      Query
	blocks []segBlock
	i      int // next block to read (counting from the far end when Backward)
	buf    []Event
	j      int
	f      *os.File
	fpath  string
	data   []byte
	err    error
}

type segBlock struct {
	path string
	b    block
}

// Cursor returns a cursor over a stream's events; a stream that does not
// exist here has none.
func (s *Store) Cursor(k Key, q Query) *Cursor {
	q.Range = q.Range.norm()
	if q.To <= 0 {
		q.To = math.MaxInt64
	}
	c := &Cursor{q: q}
	st, err := s.get(k, false)
	if err != nil {
		c.err = err
		return c
	}
	if st == nil {
		return c
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, g := range st.segs {
		if g.next() <= q.From || g.base >= q.To {
			continue
		}
		for _, b := range g.blocks {
			if b.Seq+b.N <= q.From || b.Seq >= q.To || !b.overlaps(q.Start, q.End) {
				continue
			}
			c.blocks = append(c.blocks, segBlock{path: g.path, b: b})
		}
	}
	return c
}

// Next returns the next event; ok is false at the end or on error (Err).
func (c *Cursor) Next() (Event, bool) {
	for c.j >= len(c.buf) {
		if c.err != nil || c.i >= len(c.blocks) {
			return Event{}, false
		}
		idx := c.i
		if c.q.Backward {
			idx = len(c.blocks) - 1 - c.i
		}
		c.i++
		c.buf, c.j = c.buf[:0], 0
		if err := c.read(c.blocks[idx]); err != nil {
			c.err = err
			return Event{}, false
		}
	}
	e := c.buf[c.j]
	c.j++
	return e, true
}

// Err returns the error that ended iteration, if any.
func (c *Cursor) Err() error { return c.err }

// Close releases the cursor's file.
func (c *Cursor) Close() {
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
}

// read decodes the matching events of one block into c.buf, in the
// cursor's direction.
func (c *Cursor) read(sb segBlock) error {
	if c.fpath != sb.path {
		c.Close()
		f, err := os.Open(sb.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil // expired or deleted since the cursor was made
		}
		if err != nil {
			return fmt.Errorf("logstore: %w", err)
		}
		c.f, c.fpath = f, sb.path
	}
	if c.f == nil {
		return nil
	}
	n := int(sb.b.End - sb.b.Off)
	if cap(c.data) < n {
		c.data = make([]byte, n)
	}
	data := c.data[:n]
	if _, err := c.f.ReadAt(data, sb.b.Off); err != nil {
		return fmt.Errorf("logstore: read: %w", err)
	}
	seq := sb.b.Seq
	for off := 0; off < n; seq++ {
		ts, in, msg, rn, err := decodeRecord(data[off:])
		if err != nil {
			return fmt.Errorf("logstore: %s at %d: %w", sb.path, sb.b.Off+int64(off), err)
		}
		off += rn
		if seq < c.q.From || seq >= c.q.To || ts < c.q.Start || ts >= c.q.End {
			continue
		}
		if c.q.Match != nil && !c.q.Match(unsafe.String(unsafe.SliceData(msg), len(msg))) {
			continue
		}
		c.buf = append(c.buf, Event{Seq: seq, Timestamp: ts, Ingestion: in, Message: string(msg)})
	}
	if c.q.Backward {
		for l, r := 0, len(c.buf)-1; l < r; l, r = l+1, r-1 {
			c.buf[l], c.buf[r] = c.buf[r], c.buf[l]
		}
	}
	return nil
}
