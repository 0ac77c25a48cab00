// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/store"
)

// CreateLogStream creates a log stream in a log group.
func (s *Service) CreateLogStream(ctx context.Context, in *logsapi.CreateLogStreamInput) (*logsapi.CreateLogStreamOutput, error) {
	group, name := deref(in.LogGroupName), deref(in.LogStreamName)
	if err := checkGroupName("logGroupName", group); err != nil {
		return nil, err
	}
	if err := checkStreamName("logStreamName", name); err != nil {
		return nil, err
	}
	// One transaction with a check of the group's revision: a stream
	// never outlives a concurrent DeleteLogGroup. A concurrent change of
	// the group (tags, retention) only retries.
	for attempt := 0; ; attempt++ {
		g, err := s.group(ctx, group)
		if err != nil {
			return nil, err
		}
		rec := &streamRec{ID: newID(), GroupID: g.Value.ID, Group: group, Name: name, Created: s.now()}
		_, err = s.st.Txn().
			Add(s.groups.CheckOp(group, g.Revision)).
			Add(s.streams.CreateOp(streamID(g.Value.ID, name), rec)).
			Commit(ctx)
		var re *store.RecordError
		switch {
		case err == nil:
			return &logsapi.CreateLogStreamOutput{}, nil
		case errors.As(err, &re) && re.Table == tableStreams && errors.Is(err, store.ErrExists):
			return nil, logsapi.ErrResourceAlreadyExists(msgStreamExists)
		case errors.As(err, &re) && re.Table == tableGroups && attempt < 10:
			continue
		case errors.As(err, &re) && re.Table == tableGroups:
			return nil, logsapi.ErrOperationAborted("Multiple concurrent requests to update the same resource were in conflict.")
		}
		return nil, err
	}
}

// DeleteLogStream deletes a log stream and its events.
func (s *Service) DeleteLogStream(ctx context.Context, in *logsapi.DeleteLogStreamInput) (*logsapi.DeleteLogStreamOutput, error) {
	group, name := deref(in.LogGroupName), deref(in.LogStreamName)
	if err := checkGroupName("logGroupName", group); err != nil {
		return nil, err
	}
	if err := checkStreamName("logStreamName", name); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, group)
	if err != nil {
		return nil, err
	}
	r, err := s.streams.Get(ctx, streamID(g.Value.ID, name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, logsapi.ErrResourceNotFound(msgStreamNotFound)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.streams.Delete(ctx, r.ID, r.Revision); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, logsapi.ErrResourceNotFound(msgStreamNotFound)
		}
		return nil, err
	}
	if err := s.events.DeleteStream(r.Value.key()); err != nil {
		s.log.Warn("logs: deleting the events of a deleted stream", "group", group, "stream", name, "err", err)
	}
	return &logsapi.DeleteLogStreamOutput{}, nil
}

// streamView is a stream with its counters, for listing.
type streamView struct {
	rec   *streamRec
	stats logstore.Stats
}

// DescribeLogStreams lists a log group's streams by name or by last event
// time.
func (s *Service) DescribeLogStreams(ctx context.Context, in *logsapi.DescribeLogStreamsInput) (*logsapi.DescribeLogStreamsOutput, error) {
	group, err := s.groupRef(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	prefix := deref(in.LogStreamNamePrefix)
	if in.LogStreamNamePrefix != nil {
		if err := checkStreamName("logStreamNamePrefix", prefix); err != nil {
			return nil, err
		}
	}
	byTime := false
	switch o := deref(in.OrderBy); o {
	case "", "LogStreamName":
	case "LastEventTime":
		byTime = true
	default:
		return nil, invalid(o, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	}
	if byTime && prefix != "" {
		return nil, logsapi.ErrInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	if err := checkLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	tok, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	g, err := s.group(ctx, group)
	if err != nil {
		return nil, err
	}
	recs, _, err := s.streams.List(ctx, store.Page{Prefix: streamID(g.Value.ID, prefix)})
	if err != nil {
		return nil, err
	}
	views := make([]streamView, len(recs))
	for i, r := range recs {
		views[i] = streamView{rec: r.Value}
		if byTime {
			views[i].stats = s.events.Stats(r.Value.key())
		}
	}
	desc := deref(in.Descending)
	less := func(a, b streamView) bool {
		if byTime && a.stats.LastEventTime != b.stats.LastEventTime {
			return a.stats.LastEventTime < b.stats.LastEventTime
		}
		return a.rec.Name < b.rec.Name
	}
	if byTime || desc {
		sort.SliceStable(views, func(i, j int) bool {
			if desc {
				return less(views[j], views[i])
			}
			return less(views[i], views[j])
		})
	}
	if tok != nil {
		// Resume after the last stream of the previous page.
		last := streamView{rec: &streamRec{Name: tok.Name}, stats: logstore.Stats{LastEventTime: tok.Time}}
		i := sort.Search(len(views), func(i int) bool {
			if desc {
				return less(views[i], last)
			}
			return less(last, views[i])
		})
		views = views[i:]
	}
	limit := limitOr(in.Limit, 50)
	out := &logsapi.DescribeLogStreamsOutput{LogStreams: []logsapi.LogStream{}}
	for i, v := range views {
		if i == limit {
			l := views[i-1]
			t := pageToken{Name: l.rec.Name}
			if byTime {
				t.Time = l.stats.LastEventTime
			}
			out.NextToken = encodeToken(t)
			break
		}
		out.LogStreams = append(out.LogStreams, s.describeStream(v))
	}
	return out, nil
}

func (s *Service) describeStream(v streamView) logsapi.LogStream {
	st := v.stats
	if st == (logstore.Stats{}) {
		st = s.events.Stats(v.rec.key())
	}
	ls := logsapi.LogStream{
		LogStreamName: ptr(v.rec.Name),
		CreationTime:  ptr(v.rec.Created),
		Arn:           ptr(s.streamARN(v.rec.Group, v.rec.Name)),
		StoredBytes:   ptr(st.StoredBytes),
	}
	if st.NextSeq > 0 || st.LastIngestionTime > 0 {
		ls.FirstEventTimestamp = ptr(st.FirstEventTime)
		ls.LastEventTimestamp = ptr(st.LastEventTime)
		ls.LastIngestionTime = ptr(st.LastIngestionTime)
		ls.UploadSequenceToken = ptr(sequenceToken(st.NextSeq))
	}
	return ls
}

// sequenceToken formats a stream position as AWS's 56-digit tokens look.
func sequenceToken(next int64) string {
	return fmt.Sprintf("4%055d", next)
}
