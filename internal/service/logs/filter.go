// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"container/heap"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/filterpattern"
	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/store"
)

// FilterLogEvents returns the events of a log group's streams (all, named
// ones, or those with a name prefix) that match a filter pattern, within
// a time range, interleaved across streams in time order. nextToken holds
// each stream's position, so paging resumes exactly.
func (s *Service) FilterLogEvents(ctx context.Context, in *logsapi.FilterLogEventsInput) (*logsapi.FilterLogEventsOutput, error) {
	group, err := s.groupRef(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, logsapi.ErrInvalidParameter("Cannot specify both logStreamNames and logStreamNamePrefix.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, logsapi.ErrInvalidParameter("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	for i, n := range in.LogStreamNames {
		if err := checkStreamName(fmt.Sprintf("logStreamNames.%d.member", i+1), n); err != nil {
			return nil, err
		}
	}
	if in.LogStreamNamePrefix != nil {
		if err := checkStreamName("logStreamNamePrefix", *in.LogStreamNamePrefix); err != nil {
			return nil, err
		}
	}
	rng, err := readWindow(in.Limit, in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	if p := deref(in.FilterPattern); len(p) > 1024 {
		return nil, invalid(p, "filterPattern", "Member must have length less than or equal to 1024")
	}
	pat, err := filterpattern.Parse(deref(in.FilterPattern))
	if err != nil {
		return nil, logsapi.ErrInvalidParameter("%s", err.Error())
	}
	tok, err := decodeFilterToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	g, err := s.group(ctx, group)
	if err != nil {
		return nil, err
	}
	streams, err := s.filterStreams(ctx, g.Value, in)
	if err != nil {
		return nil, err
	}

	var match func(string) bool
	if !pat.MatchesAll() {
		match = pat.Match
	}
	h := make(mergeHeap, 0, len(streams))
	defer func() {
		for _, it := range h {
			it.c.Close()
		}
	}()
	for _, st := range streams {
		from := tok[st.Name]
		it := &mergeItem{name: st.Name, idHash: streamHash(st.ID), c: s.events.Cursor(st.key(), logstore.Query{Range: rng, From: from, Match: match})}
		if it.advance() {
			h = append(h, it)
		} else {
			it.c.Close()
			if err := it.c.Err(); err != nil {
				return nil, err
			}
		}
	}
	heap.Init(&h)
	limit := limitOr(in.Limit, maxReadEvents)
	out := &logsapi.FilterLogEventsOutput{Events: []logsapi.FilteredLogEvent{}, SearchedLogStreams: []logsapi.SearchedLogStream{}}
	next := map[string]int64{}
	for k, v := range tok {
		next[k] = v
	}
	size := 0
	for h.Len() > 0 {
		it := h[0]
		e := it.cur
		n := len(e.Message) + eventOverhead
		if len(out.Events) == limit || (size+n > maxReadBytes && len(out.Events) > 0) {
			out.NextToken = encodeFilterToken(next)
			break
		}
		size += n
		out.Events = append(out.Events, logsapi.FilteredLogEvent{
			LogStreamName: ptr(it.name),
			Timestamp:     ptr(e.Timestamp),
			Message:       ptr(e.Message),
			IngestionTime: ptr(e.Ingestion),
			EventId:       ptr(eventID(e.Timestamp, it.idHash, e.Seq)),
		})
		next[it.name] = e.Seq + 1
		if it.advance() {
			heap.Fix(&h, 0)
			continue
		}
		heap.Pop(&h)
		it.c.Close()
		if err := it.c.Err(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// filterStreams returns the streams a FilterLogEvents request searches.
func (s *Service) filterStreams(ctx context.Context, g *groupRec, in *logsapi.FilterLogEventsInput) ([]*streamRec, error) {
	if len(in.LogStreamNames) > 0 {
		var out []*streamRec
		seen := map[string]bool{}
		for _, n := range in.LogStreamNames {
			if seen[n] {
				continue
			}
			seen[n] = true
			r, err := s.streams.Get(ctx, streamID(g.ID, n))
			if err != nil {
				continue // AWS searches the named streams that exist
			}
			out = append(out, r.Value)
		}
		return out, nil
	}
	recs, _, err := s.streams.List(ctx, store.Page{Prefix: streamID(g.ID, deref(in.LogStreamNamePrefix))})
	if err != nil {
		return nil, err
	}
	out := make([]*streamRec, len(recs))
	for i, r := range recs {
		out[i] = r.Value
	}
	return out, nil
}

// mergeItem is one stream's cursor in the interleaving merge.
type mergeItem struct {
	name   string
	idHash uint64
	c      *logstore.Cursor
	cur    logstore.Event
}

func (m *mergeItem) advance() bool {
	e, ok := m.c.Next()
	m.cur = e
	return ok
}

// mergeHeap orders stream cursors by their current event's time, then
// stream name, then position.
type mergeHeap []*mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.cur.Timestamp != b.cur.Timestamp {
		return a.cur.Timestamp < b.cur.Timestamp
	}
	if a.name != b.name {
		return a.name < b.name
	}
	return a.cur.Seq < b.cur.Seq
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func streamHash(id string) uint64 {
	f := fnv.New64a()
	f.Write([]byte(id))
	return f.Sum64() % 1e16
}

// eventID is a 56-digit id, unique in the group: time, stream, position.
func eventID(ts int64, streamHash uint64, seq int64) string {
	return fmt.Sprintf("%020d%016d%020d", ts, streamHash, seq)
}

// FilterLogEvents' nextToken: each stream's next position.
func encodeFilterToken(next map[string]int64) *string {
	b, _ := json.Marshal(next)
	return ptr("ft1." + base64.RawURLEncoding.EncodeToString(b))
}

func decodeFilterToken(s *string) (map[string]int64, error) {
	if s == nil {
		return map[string]int64{}, nil
	}
	raw, ok := strings.CutPrefix(*s, "ft1.")
	b, err := base64.RawURLEncoding.DecodeString(raw)
	var m map[string]int64
	if !ok || err != nil || json.Unmarshal(b, &m) != nil {
		return nil, logsapi.ErrInvalidParameter(msgBadToken)
	}
	return m, nil
}
