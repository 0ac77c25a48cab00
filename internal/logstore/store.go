// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logstore

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Defaults for Config.
const (
	DefaultSegmentBytes = 64 << 20
	DefaultSegmentSpan  = 24 * time.Hour
	DefaultBlockBytes   = 64 << 10
)

// ErrDeleted means the stream was deleted while the call ran.
var ErrDeleted = errors.New("logstore: stream deleted")

// Config configures a Store.
type Config struct {
	// Dir is the store's directory (DATA_DIR/logs); it is created.
	Dir string
	// SegmentBytes seals a segment once it holds this many bytes.
	SegmentBytes int64
	// SegmentSpan seals a segment before it would hold events further
	// apart in time than this.
	SegmentSpan time.Duration
	// BlockBytes is the granularity of the sparse time index.
	BlockBytes int64
	Logger     *slog.Logger
}

// Key names a stream by the ids of its group and of itself. Ids are path
// components: non-empty, of letters, digits, '-' and '_' only.
type Key struct{ Group, Stream string }

func (k Key) valid() bool { return validID(k.Group) && validID(k.Stream) }

func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Entry is an event to append.
type Entry struct {
	Timestamp int64 // ms since the epoch
	Message   string
}

// Event is a stored event.
type Event struct {
	Seq       int64 // position in its stream, from 0
	Timestamp int64
	Ingestion int64
	Message   string
}

// Stats are a stream's counters. Times are ms since the epoch; zero when
// the stream holds no events.
type Stats struct {
	FirstEventTime    int64
	LastEventTime     int64
	LastIngestionTime int64
	StoredBytes       int64
	// NextSeq is the sequence number the next event will get.
	NextSeq int64
}

// Store is the event store. It is safe for concurrent use.
type Store struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	streams map[Key]*stream
	closed  bool
}

// Open opens (creating) the store in cfg.Dir and loads the index of every
// stream in it.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("logstore: a directory is required")
	}
	if cfg.SegmentBytes <= 0 {
		cfg.SegmentBytes = DefaultSegmentBytes
	}
	if cfg.SegmentSpan <= 0 {
		cfg.SegmentSpan = DefaultSegmentSpan
	}
	if cfg.BlockBytes <= 0 {
		cfg.BlockBytes = DefaultBlockBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	s := &Store{cfg: cfg, log: cfg.Logger, streams: map[Key]*stream{}}
	groups, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	for _, g := range groups {
		if !g.IsDir() || !validID(g.Name()) {
			continue
		}
		streams, err := os.ReadDir(filepath.Join(cfg.Dir, g.Name()))
		if err != nil {
			return nil, fmt.Errorf("logstore: %w", err)
		}
		for _, st := range streams {
			k := Key{Group: g.Name(), Stream: st.Name()}
			if !st.IsDir() || !k.valid() {
				continue
			}
			str, err := s.load(k)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.streams[k] = str
		}
	}
	return s, nil
}

// Close closes every open segment file. Appends after Close fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, st := range s.streams {
		st.mu.Lock()
		if err := st.closeActive(); err != nil {
			errs = append(errs, err)
		}
		st.deleted = true
		st.mu.Unlock()
	}
	s.streams = map[Key]*stream{}
	return errors.Join(errs...)
}

func (s *Store) dir(k Key) string { return filepath.Join(s.cfg.Dir, k.Group, k.Stream) }

// get returns the stream of k, creating its directory when create is set;
// nil when it does not exist and create is not set.
func (s *Store) get(k Key, create bool) (*stream, error) {
	if !k.valid() {
		return nil, fmt.Errorf("logstore: invalid key %q/%q", k.Group, k.Stream)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("logstore: closed")
	}
	if st := s.streams[k]; st != nil || !create {
		return st, nil
	}
	dir := s.dir(k)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	st := &stream{s: s, dir: dir, stats: Stats{}}
	s.streams[k] = st
	return st, nil
}

// Append stores entries, in order, as events ingested at ingestion, and
// returns the stream's counters after them. It returns once the events
// are durable. Callers check AWS's rules first; Append stores what it is
// given.
func (s *Store) Append(k Key, ingestion int64, entries []Entry) (Stats, error) {
	st, err := s.get(k, true)
	if err != nil {
		return Stats{}, err
	}
	if len(entries) == 0 {
		return st.snapshotStats(), nil
	}
	return st.append(ingestion, entries)
}

// Stats returns a stream's counters; zero for a stream with no events here.
func (s *Store) Stats(k Key) Stats {
	st, _ := s.get(k, false)
	if st == nil {
		return Stats{}
	}
	return st.snapshotStats()
}

// GroupBytes returns the stored bytes of every stream of a group.
func (s *Store) GroupBytes(group string) int64 {
	var n int64
	for _, st := range s.groupStreams(group) {
		n += st.snapshotStats().StoredBytes
	}
	return n
}

func (s *Store) groupStreams(group string) map[Key]*stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[Key]*stream{}
	for k, st := range s.streams {
		if k.Group == group {
			out[k] = st
		}
	}
	return out
}

// DeleteStream removes a stream's events. Appends racing with it fail
// with ErrDeleted.
func (s *Store) DeleteStream(k Key) error {
	if !k.valid() {
		return fmt.Errorf("logstore: invalid key %q/%q", k.Group, k.Stream)
	}
	s.mu.Lock()
	st := s.streams[k]
	delete(s.streams, k)
	s.mu.Unlock()
	if st != nil {
		st.mu.Lock()
		st.deleted = true
		_ = st.closeActive()
		st.mu.Unlock()
	}
	return removeDir(s.dir(k))
}

// DeleteGroup removes the events of every stream of a group.
func (s *Store) DeleteGroup(group string) error {
	if !validID(group) {
		return fmt.Errorf("logstore: invalid group %q", group)
	}
	s.mu.Lock()
	for k, st := range s.streams {
		if k.Group != group {
			continue
		}
		delete(s.streams, k)
		st.mu.Lock()
		st.deleted = true
		_ = st.closeActive()
		st.mu.Unlock()
	}
	s.mu.Unlock()
	return removeDir(filepath.Join(s.cfg.Dir, group))
}

func removeDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("logstore: %w", err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("logstore: %w", err)
	}
	return nil
}

// Groups returns the ids of the groups with streams in this store, sorted.
func (s *Store) Groups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for k := range s.streams {
		if !seen[k.Group] {
			seen[k.Group] = true
			out = append(out, k.Group)
		}
	}
	sort.Strings(out)
	return out
}

// Streams returns the ids of a group's streams in this store, sorted.
func (s *Store) Streams(group string) []string {
	var out []string
	for k := range s.groupStreams(group) {
		out = append(out, k.Stream)
	}
	sort.Strings(out)
	return out
}

// Expire deletes, in every stream of a group, the segments whose events
// are all older than cutoff (ms since the epoch), and returns the bytes
// freed. Whole segments go; a segment with one newer event stays.
func (s *Store) Expire(group string, cutoff int64) (int64, error) {
	var freed int64
	var errs []error
	for _, st := range s.groupStreams(group) {
		n, err := st.expire(cutoff)
		freed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return freed, errors.Join(errs...)
}

// load reads a stream's segments from disk.
func (s *Store) load(k Key) (*stream, error) {
	dir := s.dir(k)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	var bases []int64
	for _, e := range ents {
		if base, ok := parseSegmentName(e.Name()); ok && !e.IsDir() {
			bases = append(bases, base)
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	st := &stream{s: s, dir: dir}
	for i, base := range bases {
		last := i == len(bases)-1
		g, err := loadSegment(filepath.Join(dir, segmentName(base)), base, s.cfg.BlockBytes, last)
		if err != nil {
			return nil, err
		}
		if g.damaged {
			s.log.Warn("logstore: damaged segment; events after the damage are unreadable", "segment", g.path, "readable_bytes", g.size)
		}
		if last && !g.sealed {
			f, err := os.OpenFile(g.path, os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return nil, fmt.Errorf("logstore: %w", err)
			}
			st.active = f
		}
		st.segs = append(st.segs, g)
	}
	st.recount()
	return st, nil
}

// stream is one stream's segments and counters.
type stream struct {
	s   *Store
	dir string

	mu      sync.RWMutex // guards everything below but the sync state
	segs    []*segment
	active  *os.File // the last segment's file, open for append; nil when sealed or none
	stats   Stats
	deleted bool
	written int64 // append generation: bumped by every write

	syncMu sync.Mutex // serializes fsyncs; group commit
	synced int64      // generation known durable
}

func (st *stream) snapshotStats() Stats {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.stats
}

// recount rebuilds the counters from the segments.
func (st *stream) recount() {
	var s Stats
	first := int64(math.MaxInt64)
	for _, g := range st.segs {
		minTs, maxTs, maxIn := g.span()
		if len(g.blocks) > 0 {
			first = min(first, minTs)
			s.LastEventTime = max(s.LastEventTime, maxTs)
			s.LastIngestionTime = max(s.LastIngestionTime, maxIn)
		}
		s.StoredBytes += g.size
		s.NextSeq = g.next()
	}
	if first != math.MaxInt64 {
		s.FirstEventTime = first
	}
	if s.NextSeq < st.stats.NextSeq {
		s.NextSeq = st.stats.NextSeq // all segments expired: numbering goes on
	}
	st.stats = s
}

func (st *stream) closeActive() error {
	if st.active == nil {
		return nil
	}
	err := st.active.Close()
	st.active = nil
	return err
}
