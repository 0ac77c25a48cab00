// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var key = Key{Group: "g1", Stream: "s1"}

func open(t *testing.T, dir string, cfg Config) *Store {
	t.Helper()
	cfg.Dir = dir
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func collect(t *testing.T, s *Store, k Key, q Query) []Event {
	t.Helper()
	c := s.Cursor(k, q)
	defer c.Close()
	var out []Event
	for e, ok := c.Next(); ok; e, ok = c.Next() {
		out = append(out, e)
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func entries(from, n int, step int64) []Entry {
	var out []Entry
	for i := from; i < from+n; i++ {
		out = append(out, Entry{Timestamp: 1000 + int64(i)*step, Message: fmt.Sprintf("event %d", i)})
	}
	return out
}

func seqs(evs []Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

func TestStore_AppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{BlockBytes: 100, SegmentBytes: 1000}
	s := open(t, dir, cfg)
	for i := 0; i < 10; i++ {
		if _, err := s.Append(key, 5000+int64(i), entries(i*10, 10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats(key)
	want := Stats{FirstEventTime: 1000, LastEventTime: 1000 + 99*10, LastIngestionTime: 5009, StoredBytes: st.StoredBytes, NextSeq: 100}
	if diff := cmp.Diff(want, st); diff != "" || st.StoredBytes == 0 {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
	all := collect(t, s, key, Query{})
	if len(all) != 100 || all[42].Message != "event 42" || all[42].Seq != 42 || all[42].Timestamp != 1420 || all[42].Ingestion != 5004 {
		t.Fatalf("read %d events, [42] = %+v", len(all), all[42])
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "g1", "s1", "*.seg"))
	idxs, _ := filepath.Glob(filepath.Join(dir, "g1", "s1", "*.idx"))
	if len(segs) < 3 || len(idxs) != len(segs)-1 {
		t.Fatalf("%d segments, %d indexes: want several, all but the active one indexed", len(segs), len(idxs))
	}

	tests := []struct {
		name string
		q    Query
		want []int64
	}{
		{"time range", Query{Range: Range{Start: 1100, End: 1150}}, []int64{10, 11, 12, 13, 14}},
		{"seq range", Query{From: 97}, []int64{97, 98, 99}},
		{"backward", Query{To: 5, Backward: true}, []int64{4, 3, 2, 1, 0}},
		{"backward in time", Query{Range: Range{Start: 1950}, Backward: true}, []int64{99, 98, 97, 96, 95}},
		{"match", Query{Match: func(m string) bool { return strings.HasSuffix(m, "7") }}, []int64{7, 17, 27, 37, 47, 57, 67, 77, 87, 97}},
	}
	check := func(s *Store) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if diff := cmp.Diff(tc.want, seqs(collect(t, s, key, tc.q))); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
	check(s)
	s.Close()
	s2 := open(t, dir, cfg)
	if diff := cmp.Diff(st, s2.Stats(key)); diff != "" {
		t.Fatalf("stats after reopen (-want +got):\n%s", diff)
	}
	check(s2)
	if _, err := s2.Append(key, 6000, entries(100, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if got := s2.Stats(key).NextSeq; got != 101 {
		t.Fatalf("NextSeq after reopen and append = %d, want 101", got)
	}
}

func TestStore_TimeIndexSkipsBlocks(t *testing.T) {
	s := open(t, t.TempDir(), Config{BlockBytes: 200})
	for i := 0; i < 50; i++ {
		if _, err := s.Append(key, 1, entries(i*20, 20, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	c := s.Cursor(key, Query{Range: Range{Start: 1000 + 500*1000, End: 1000 + 505*1000}})
	defer c.Close()
	total := 0
	for _, sb := range c.blocks {
		total += int(sb.b.N)
	}
	if len(c.blocks) == 0 || total > 40 {
		t.Fatalf("cursor reads %d blocks holding %d events for 5 events of 1000", len(c.blocks), total)
	}
	var got []int64
	for e, ok := c.Next(); ok; e, ok = c.Next() {
		got = append(got, e.Seq)
	}
	if diff := cmp.Diff([]int64{500, 501, 502, 503, 504}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestStore_TornTailTruncated(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Config{})
	if _, err := s.Append(key, 1, entries(0, 3, 1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	seg := filepath.Join(dir, "g1", "s1", segmentName(0))
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := appendRecord(nil, 5, 5, "half written")
	f.Write(torn[:len(torn)-3])
	f.Close()
	s2 := open(t, dir, Config{})
	if got := len(collect(t, s2, key, Query{})); got != 3 {
		t.Fatalf("after a torn tail: %d events, want 3", got)
	}
	if _, err := s2.Append(key, 2, entries(3, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := seqs(collect(t, s2, key, Query{})); !cmp.Equal(got, []int64{0, 1, 2, 3}) {
		t.Fatalf("after append: %v", got)
	}
}

func TestStore_ExpireWholeSegments(t *testing.T) {
	s := open(t, t.TempDir(), Config{SegmentSpan: time.Hour})
	hour := time.Hour.Milliseconds()
	for h := int64(0); h < 5; h++ {
		var es []Entry
		for i := int64(0); i < 3; i++ {
			es = append(es, Entry{Timestamp: h*hour + i, Message: "x"})
		}
		if _, err := s.Append(key, 1, es); err != nil {
			t.Fatal(err)
		}
	}
	before := s.Stats(key)
	freed, err := s.Expire("g1", 2*hour+1)
	if err != nil {
		t.Fatal(err)
	}
	after := s.Stats(key)
	if freed == 0 || after.StoredBytes != before.StoredBytes-freed {
		t.Fatalf("freed %d; stored %d -> %d", freed, before.StoredBytes, after.StoredBytes)
	}
	evs := collect(t, s, key, Query{})
	if len(evs) != 9 || evs[0].Timestamp != 2*hour || after.FirstEventTime != 2*hour {
		t.Fatalf("after expiry: %d events from %d (first %d), want 9 from the third hour", len(evs), evs[0].Timestamp, after.FirstEventTime)
	}
	// Expiring everything, the active segment included, keeps numbering.
	if _, err := s.Expire("g1", 10*hour); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(key); st.StoredBytes != 0 || st.NextSeq != 15 {
		t.Fatalf("after expiring all: %+v", st)
	}
	if _, err := s.Append(key, 1, []Entry{{Timestamp: 11 * hour, Message: "new"}}); err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, s, key, Query{}); len(evs) != 1 || evs[0].Seq != 15 {
		t.Fatalf("after append: %+v", evs)
	}
}

func TestStore_DeleteAndConcurrentAppend(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Config{BlockBytes: 512, SegmentBytes: 4096})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := s.Append(key, 1, entries(0, 5, 1)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := len(collect(t, s, key, Query{})); got != 8*50*5 {
		t.Fatalf("%d events after concurrent appends, want 2000", got)
	}
	if err := s.DeleteGroup("g1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "g1")); !os.IsNotExist(err) {
		t.Fatalf("group dir after DeleteGroup: %v", err)
	}
	if got := s.Stats(key); got != (Stats{}) {
		t.Fatalf("stats after delete: %+v", got)
	}
}

func TestStore_DamagedSealedSegmentStillOpens(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 300}
	s := open(t, dir, cfg)
	for i := 0; i < 6; i++ {
		if _, err := s.Append(key, 1, entries(i*4, 4, 1)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	seg := filepath.Join(dir, "g1", "s1", segmentName(0))
	os.Remove(idxPath(seg))
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-2] ^= 0xff // the last record of the first segment
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, cfg)
	got := seqs(collect(t, s2, key, Query{}))
	if len(got) != 23 || got[0] != 0 || got[len(got)-1] != 23 {
		t.Fatalf("after damage: %v, want every event but the damaged one", got)
	}
}
