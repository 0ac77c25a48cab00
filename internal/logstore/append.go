// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logstore

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// bufPool recycles batch encoding buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// append writes a batch and waits until it is durable.
func (st *stream) append(ingestion int64, entries []Entry) (Stats, error) {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	minTs, maxTs := entries[0].Timestamp, entries[0].Timestamp
	for _, e := range entries {
		buf = appendRecord(buf, e.Timestamp, ingestion, e.Message)
		minTs, maxTs = min(minTs, e.Timestamp), max(maxTs, e.Timestamp)
	}
	defer func() { *bp = buf; bufPool.Put(bp) }()

	st.mu.Lock()
	if st.deleted {
		st.mu.Unlock()
		return Stats{}, ErrDeleted
	}
	if err := st.prepare(int64(len(buf)), minTs, maxTs); err != nil {
		st.mu.Unlock()
		return Stats{}, err
	}
	g := st.segs[len(st.segs)-1]
	off := g.size
	if _, err := st.active.Write(buf); err != nil {
		// A short write leaves a torn tail that the next open truncates;
		// cut it now so later appends stay readable.
		_ = st.active.Truncate(off)
		st.mu.Unlock()
		return Stats{}, fmt.Errorf("logstore: write: %w", err)
	}
	seq := g.next()
	pos := off
	for _, e := range entries {
		n := recordHeader + len(e.Message)
		g.addRecord(seq, pos, e.Timestamp, ingestion, n, st.s.cfg.BlockBytes)
		seq++
		pos += int64(n)
	}
	g.size = pos
	s := &st.stats
	if s.FirstEventTime == 0 || minTs < s.FirstEventTime {
		s.FirstEventTime = minTs
	}
	s.LastEventTime = max(s.LastEventTime, maxTs)
	s.LastIngestionTime = max(s.LastIngestionTime, ingestion)
	s.StoredBytes += int64(len(buf))
	s.NextSeq = seq
	st.written++
	gen, f := st.written, st.active
	out := st.stats
	st.mu.Unlock()

	if err := st.sync(gen, f); err != nil {
		return Stats{}, err
	}
	return out, nil
}

// sync makes every write up to generation gen durable. Writers that
// arrive while an fsync runs wait for it and then share the next one.
func (st *stream) sync(gen int64, f *os.File) error {
	st.syncMu.Lock()
	defer st.syncMu.Unlock()
	if st.synced >= gen {
		return nil
	}
	st.mu.RLock()
	cur, active := st.written, st.active
	st.mu.RUnlock()
	if active != f {
		// The segment was sealed (and synced) since this write: its data
		// is durable. A deleted stream's events need no sync.
		st.synced = max(st.synced, gen)
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("logstore: fsync: %w", err)
	}
	st.synced = cur
	return nil
}

// prepare makes sure an active segment can take a batch of n bytes
// spanning [minTs, maxTs], sealing the current one when it is full or the
// batch would widen its time span past SegmentSpan. Called with st.mu held.
func (st *stream) prepare(n, minTs, maxTs int64) error {
	if st.active != nil {
		g := st.segs[len(st.segs)-1]
		span := st.s.cfg.SegmentSpan.Milliseconds()
		gMin, gMax, _ := g.span()
		full := g.size > 0 && g.size+n > st.s.cfg.SegmentBytes
		wide := len(g.blocks) > 0 && (max(gMax, maxTs)-min(gMin, minTs) > span)
		if !full && !wide {
			return nil
		}
		if err := st.seal(); err != nil {
			return err
		}
	}
	base := st.stats.NextSeq
	path := filepath.Join(st.dir, segmentName(base))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("logstore: new segment: %w", err)
	}
	if err := syncDir(st.dir); err != nil {
		f.Close()
		return fmt.Errorf("logstore: %w", err)
	}
	st.segs = append(st.segs, &segment{base: base, path: path})
	st.active = f
	return nil
}

// seal syncs and closes the active segment and writes its index. Called
// with st.mu held.
func (st *stream) seal() error {
	g := st.segs[len(st.segs)-1]
	if err := st.active.Sync(); err != nil {
		return fmt.Errorf("logstore: fsync: %w", err)
	}
	if err := st.closeActive(); err != nil {
		return fmt.Errorf("logstore: %w", err)
	}
	g.sealed = true
	if err := g.writeIndex(); err != nil {
		// The index is an optimisation: open rebuilds a missing one.
		st.s.log.Warn("logstore: writing segment index", "segment", g.path, "err", err)
	}
	return nil
}

// expire removes the segments whose events are all older than cutoff.
func (st *stream) expire(cutoff int64) (int64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.deleted {
		return 0, nil
	}
	var keep []*segment
	var freed int64
	var firstErr error
	for i, g := range st.segs {
		_, maxTs, _ := g.span()
		if len(g.blocks) == 0 || maxTs >= cutoff || firstErr != nil {
			keep = append(keep, g)
			continue
		}
		if i == len(st.segs)-1 && st.active != nil {
			if err := st.closeActive(); err != nil {
				firstErr = err
			}
		}
		if err := g.remove(); err != nil {
			firstErr = err
			keep = append(keep, g)
			continue
		}
		freed += g.size
	}
	if freed == 0 {
		return 0, firstErr
	}
	st.segs = keep
	if err := syncDir(st.dir); err != nil && firstErr == nil {
		firstErr = err
	}
	st.recount()
	return freed, firstErr
}
