// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/logstore"
)

// Read limits of GetLogEvents and FilterLogEvents.
const (
	maxReadEvents = 10_000
	maxReadBytes  = 1 << 20 // counted as messages plus 26 bytes per event
)

// GetLogEvents reads a log stream's events in time order: from the head
// (startFromHead) or, by default, the newest; nextForwardToken and
// nextBackwardToken page onwards, and a token with nothing beyond it is
// returned unchanged, as AWS does.
func (s *Service) GetLogEvents(ctx context.Context, in *logsapi.GetLogEventsInput) (*logsapi.GetLogEventsOutput, error) {
	group, err := s.groupRef(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	name := deref(in.LogStreamName)
	if err := checkStreamName("logStreamName", name); err != nil {
		return nil, err
	}
	rng, err := readWindow(in.Limit, in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	backward, pos := !deref(in.StartFromHead), int64(-1)
	if in.NextToken != nil {
		if backward, pos, err = parsePosToken(*in.NextToken); err != nil {
			return nil, err
		}
	}
	_, st, err := s.groupStream(ctx, group, name)
	if err != nil {
		return nil, err
	}
	key := st.key()
	end := s.events.Stats(key).NextSeq
	q := logstore.Query{Range: rng, Backward: backward}
	switch {
	case pos < 0 && backward:
		q.To = end
	case pos < 0:
		q.From = 0
	case backward:
		q.To = pos
	default:
		q.From = pos
	}
	if q.To == 0 && backward {
		q.To = -1 // nothing before position 0
	}
	limit := limitOr(in.Limit, maxReadEvents)
	var evs []logstore.Event
	if !(backward && q.To < 0) {
		c := s.events.Cursor(key, q)
		size := 0
		for len(evs) < limit {
			e, ok := c.Next()
			if !ok {
				break
			}
			size += len(e.Message) + eventOverhead
			if size > maxReadBytes && len(evs) > 0 {
				break
			}
			evs = append(evs, e)
		}
		c.Close()
		if err := c.Err(); err != nil {
			return nil, err
		}
	}
	if backward {
		for l, r := 0, len(evs)-1; l < r; l, r = l+1, r-1 {
			evs[l], evs[r] = evs[r], evs[l]
		}
	}
	out := &logsapi.GetLogEventsOutput{Events: make([]logsapi.OutputLogEvent, len(evs))}
	for i, e := range evs {
		out.Events[i] = logsapi.OutputLogEvent{Timestamp: ptr(e.Timestamp), Message: ptr(e.Message), IngestionTime: ptr(e.Ingestion)}
	}
	switch {
	case len(evs) > 0:
		out.NextForwardToken = ptr(posToken(false, evs[len(evs)-1].Seq+1))
		out.NextBackwardToken = ptr(posToken(true, evs[0].Seq))
	case in.NextToken != nil && backward:
		out.NextForwardToken = ptr(posToken(false, pos))
		out.NextBackwardToken = in.NextToken
	case in.NextToken != nil:
		out.NextForwardToken = in.NextToken
		out.NextBackwardToken = ptr(posToken(true, pos))
	default:
		out.NextForwardToken = ptr(posToken(false, end))
		out.NextBackwardToken = ptr(posToken(true, end))
	}
	return out, nil
}

// posToken is a GetLogEvents token: a direction and a stream position,
// shaped like AWS's ("f/" or "b/", 56 digits, "/s").
func posToken(backward bool, pos int64) string {
	d := "f"
	if backward {
		d = "b"
	}
	return fmt.Sprintf("%s/%056d/s", d, pos)
}

func parsePosToken(tok string) (backward bool, pos int64, err error) {
	rest, ok := strings.CutSuffix(tok, "/s")
	if len(rest) < 3 || !ok || rest[1] != '/' || (rest[0] != 'f' && rest[0] != 'b') {
		return false, 0, logsapi.ErrInvalidParameter(msgBadToken)
	}
	n, perr := strconv.ParseInt(rest[2:], 10, 64)
	if perr != nil || n < 0 {
		return false, 0, logsapi.ErrInvalidParameter(msgBadToken)
	}
	return rest[0] == 'b', n, nil
}

// readWindow checks the limit (at most maxReadEvents), startTime and
// endTime of a read, GetLogEvents or FilterLogEvents.
func readWindow(limit *int32, start, end *int64) (logstore.Range, error) {
	if err := checkLimit(limit, maxReadEvents); err != nil {
		return logstore.Range{}, err
	}
	return timeRange(start, end)
}

// timeRange checks startTime and endTime (ms; start inclusive, end
// exclusive).
func timeRange(start, end *int64) (logstore.Range, error) {
	r := logstore.Range{Start: deref(start), End: deref(end)}
	if start != nil && *start < 0 {
		return r, invalid(itoa(*start), "startTime", "Member must have value greater than or equal to 0")
	}
	if end != nil && *end < 0 {
		return r, invalid(itoa(*end), "endTime", "Member must have value greater than or equal to 0")
	}
	if end != nil && *end == 0 {
		r.End = -1 // nothing before the epoch
	}
	if start != nil && end != nil && *start > *end {
		return r, logsapi.ErrInvalidParameter("End time must be greater than or equal to start time.")
	}
	return r, nil
}
