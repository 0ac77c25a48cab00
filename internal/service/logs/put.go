// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"errors"
	"time"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/logstore"
)

// PutLogEvents limits (CloudWatch Logs API reference and quotas).
const (
	maxBatchEvents = 10_000
	maxBatchBytes  = 1_048_576
	eventOverhead  = 26 // bytes counted per event on top of its message
	maxEventBytes  = 256 << 10
	maxBatchSpan   = 24 * time.Hour
	maxFuture      = 2 * time.Hour
	maxPast        = 14 * 24 * time.Hour
)

// PutLogEvents stores a batch of events in a log stream. The sequence
// token is accepted and ignored, as AWS does today. Events too far in the
// future or the past are reported in rejectedLogEventsInfo and the rest
// stored; a batch that breaks a rule fails whole and stores nothing.
func (s *Service) PutLogEvents(ctx context.Context, in *logsapi.PutLogEventsInput) (*logsapi.PutLogEventsOutput, error) {
	group, name := deref(in.LogGroupName), deref(in.LogStreamName)
	if err := checkGroupName("logGroupName", group); err != nil {
		return nil, err
	}
	if err := checkStreamName("logStreamName", name); err != nil {
		return nil, err
	}
	evs := in.LogEvents
	switch {
	case len(evs) == 0:
		return nil, invalid("[]", "logEvents", "Member must have length greater than or equal to 1")
	case len(evs) > maxBatchEvents:
		return nil, logsapi.ErrInvalidParameter("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents)
	}
	size := 0
	for i := range evs {
		n := len(deref(evs[i].Message)) + eventOverhead
		if evs[i].Message == nil || len(*evs[i].Message) == 0 {
			return nil, logsapi.ErrInvalidParameter("1 validation error detected: Value '' at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if n > maxEventBytes {
			return nil, logsapi.ErrInvalidParameter("Log event too large: %d bytes exceeds limit of %d", n, maxEventBytes)
		}
		size += n
		if i > 0 && deref(evs[i].Timestamp) < deref(evs[i-1].Timestamp) {
			return nil, logsapi.ErrInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		return nil, logsapi.ErrInvalidParameter("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if deref(evs[len(evs)-1].Timestamp)-deref(evs[0].Timestamp) > maxBatchSpan.Milliseconds() {
		return nil, logsapi.ErrInvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	g, st, err := s.groupStream(ctx, group, name)
	if err != nil {
		return nil, err
	}

	now := s.now()
	accept, rejected := classify(evs, now, g.Retention)
	entries := make([]logstore.Entry, 0, accept[1]-accept[0])
	for _, e := range evs[accept[0]:accept[1]] {
		entries = append(entries, logstore.Entry{Timestamp: deref(e.Timestamp), Message: deref(e.Message)})
	}
	stats, err := s.events.Append(st.key(), now, entries)
	if errors.Is(err, logstore.ErrDeleted) {
		return nil, logsapi.ErrResourceNotFound(msgStreamNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &logsapi.PutLogEventsOutput{NextSequenceToken: ptr(sequenceToken(stats.NextSeq)), RejectedLogEventsInfo: rejected}, nil
}

// classify splits a chronological batch into the range of events to
// store, [accept[0], accept[1]), and AWS's report of the others: a prefix
// older than 14 days (tooOld) or than the group's retention (expired), and
// a suffix more than 2 hours in the future (tooNew).
func classify(evs []logsapi.InputLogEvent, now int64, retentionDays int32) ([2]int, *logsapi.RejectedLogEventsInfo) {
	tooOldBefore := now - maxPast.Milliseconds()
	expiredBefore := int64(-1 << 63)
	if retentionDays > 0 {
		expiredBefore = now - int64(retentionDays)*24*time.Hour.Milliseconds()
	}
	tooNewAfter := now + maxFuture.Milliseconds()
	var info logsapi.RejectedLogEventsInfo
	rejected := false
	start, end := 0, len(evs)
	for i := range evs {
		ts := deref(evs[i].Timestamp)
		if ts < tooOldBefore {
			info.TooOldLogEventEndIndex = ptr(int32(i))
			rejected, start = true, i+1
		}
		if ts < expiredBefore {
			info.ExpiredLogEventEndIndex = ptr(int32(i))
			rejected, start = true, i+1
		}
		if ts > tooNewAfter && end == len(evs) {
			info.TooNewLogEventStartIndex = ptr(int32(i))
			rejected, end = true, i
		}
	}
	if start > end {
		start = end
	}
	if !rejected {
		return [2]int{start, end}, nil
	}
	return [2]int{start, end}, &info
}
