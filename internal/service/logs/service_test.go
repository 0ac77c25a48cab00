// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/awserr/awserrtest"
	"github.com/berthdev/berth/internal/logstore"
	"github.com/berthdev/berth/internal/store"
)

var ctx = context.Background()

func setup(t *testing.T, s *Service, group string, streams ...string) {
	t.Helper()
	ok[*logsapi.CreateLogGroupOutput](t)(s.CreateLogGroup(ctx, &logsapi.CreateLogGroupInput{LogGroupName: ptr(group)}))
	for _, st := range streams {
		ok[*logsapi.CreateLogStreamOutput](t)(s.CreateLogStream(ctx, &logsapi.CreateLogStreamInput{LogGroupName: ptr(group), LogStreamName: ptr(st)}))
	}
}

func put(t *testing.T, s *Service, group, stream string, start int64, step int64, messages ...string) *logsapi.PutLogEventsOutput {
	t.Helper()
	in := &logsapi.PutLogEventsInput{LogGroupName: ptr(group), LogStreamName: ptr(stream)}
	for i, m := range messages {
		in.LogEvents = append(in.LogEvents, logsapi.InputLogEvent{Timestamp: ptr(start + int64(i)*step), Message: ptr(m)})
	}
	return ok[*logsapi.PutLogEventsOutput](t)(s.PutLogEvents(ctx, in))
}

func TestService_PutLogEvents_Rules(t *testing.T) {
	s, _ := newTestService(t)
	setup(t, s, "/app", "web")
	now := ms(t0)
	ev := func(ts int64, m string) logsapi.InputLogEvent {
		return logsapi.InputLogEvent{Timestamp: ptr(ts), Message: ptr(m)}
	}
	big := strings.Repeat("x", 256<<10-26)
	tests := []struct {
		name      string
		group     string
		stream    string
		events    []logsapi.InputLogEvent
		code, msg string
	}{
		{"no group", "/none", "web", []logsapi.InputLogEvent{ev(now, "a")}, "ResourceNotFoundException", "The specified log group does not exist."},
		{"no stream", "/app", "none", []logsapi.InputLogEvent{ev(now, "a")}, "ResourceNotFoundException", "The specified log stream does not exist."},
		{"bad group name", "a b", "web", []logsapi.InputLogEvent{ev(now, "a")}, "InvalidParameterException", ""},
		{"bad stream name", "/app", "a:b", []logsapi.InputLogEvent{ev(now, "a")}, "InvalidParameterException", ""},
		{"empty", "/app", "web", nil, "InvalidParameterException", ""},
		{"out of order", "/app", "web", []logsapi.InputLogEvent{ev(now, "a"), ev(now-1, "b")}, "InvalidParameterException",
			"Log events in a single PutLogEvents request must be in chronological order."},
		{"span over 24h", "/app", "web", []logsapi.InputLogEvent{ev(now-25*3600_000, "a"), ev(now, "b")}, "InvalidParameterException",
			"The batch of log events in a single PutLogEvents request cannot span more than 24 hours."},
		{"event too large", "/app", "web", []logsapi.InputLogEvent{ev(now, big+"y")}, "InvalidParameterException",
			"Log event too large: 262145 bytes exceeds limit of 262144"},
		{"batch too large", "/app", "web", []logsapi.InputLogEvent{ev(now, big), ev(now, big), ev(now, big), ev(now, big), ev(now, "z")}, "InvalidParameterException",
			"Upload too large: 1048603 bytes exceeds limit of 1048576"},
		{"too many events", "/app", "web", make([]logsapi.InputLogEvent, 10_001), "InvalidParameterException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PutLogEvents(ctx, &logsapi.PutLogEventsInput{LogGroupName: ptr(tc.group), LogStreamName: ptr(tc.stream), LogEvents: tc.events})
			awserrtest.WantCode(t, err, tc.code, tc.msg)
		})
	}
	// Exactly at the limits is accepted.
	put(t, s, "/app", "web", now, 0, big, big, big, big[:len(big)-26*4])
	if got := s.events.Stats(logstoreKey(t, s, "/app", "web")).NextSeq; got != 4 {
		t.Fatalf("after the failures and one full batch: %d events stored, want 4", got)
	}
}

func logstoreKey(t *testing.T, s *Service, group, stream string) logstore.Key {
	t.Helper()
	g := ok[store.Record[groupRec]](t)(s.group(ctx, group))
	st := ok[*streamRec](t)(s.stream(ctx, g.Value, stream))
	return st.key()
}

func TestService_PutLogEvents_Rejected(t *testing.T) {
	s, _ := newTestService(t)
	setup(t, s, "/app", "web")
	now := ms(t0)
	day := int64(24 * 3600_000)
	in := &logsapi.PutLogEventsInput{LogGroupName: ptr("/app"), LogStreamName: ptr("web"), SequenceToken: ptr("ignored")}
	for i, ts := range []int64{now - 15*day, now - 14*day - 1, now - 13*day, now, now + 1, now + 2*3600_000 + 1, now + 3*3600_000} {
		in.LogEvents = append(in.LogEvents, logsapi.InputLogEvent{Timestamp: ptr(ts), Message: ptr(fmt.Sprint(i))})
	}
	// Spans more than 24h: split into two batches that each respect the span.
	first := &logsapi.PutLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, LogEvents: in.LogEvents[:2]}
	out := ok[*logsapi.PutLogEventsOutput](t)(s.PutLogEvents(ctx, first))
	want := &logsapi.RejectedLogEventsInfo{TooOldLogEventEndIndex: ptr(int32(1))}
	if diff := cmp.Diff(want, out.RejectedLogEventsInfo, cmp.AllowUnexported(logsapi.RejectedLogEventsInfo{})); diff != "" {
		t.Fatalf("rejected (-want +got):\n%s", diff)
	}
	second := &logsapi.PutLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, LogEvents: in.LogEvents[3:]}
	out = ok[*logsapi.PutLogEventsOutput](t)(s.PutLogEvents(ctx, second))
	want = &logsapi.RejectedLogEventsInfo{TooNewLogEventStartIndex: ptr(int32(2))}
	if diff := cmp.Diff(want, out.RejectedLogEventsInfo, cmp.AllowUnexported(logsapi.RejectedLogEventsInfo{})); diff != "" {
		t.Fatalf("rejected (-want +got):\n%s", diff)
	}
	if out.NextSequenceToken == nil || len(*out.NextSequenceToken) != 56 {
		t.Fatalf("nextSequenceToken = %v", out.NextSequenceToken)
	}
	// Retention: events older than it are expired.
	ok[*logsapi.PutRetentionPolicyOutput](t)(s.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: ptr("/app"), RetentionInDays: ptr(int32(3))}))
	third := &logsapi.PutLogEventsInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName, LogEvents: []logsapi.InputLogEvent{
		{Timestamp: ptr(now - 3*day - 1000), Message: ptr("old")}, {Timestamp: ptr(now - 3*day + 1000), Message: ptr("ok")}}}
	out = ok[*logsapi.PutLogEventsOutput](t)(s.PutLogEvents(ctx, third))
	want = &logsapi.RejectedLogEventsInfo{ExpiredLogEventEndIndex: ptr(int32(0))}
	if diff := cmp.Diff(want, out.RejectedLogEventsInfo, cmp.AllowUnexported(logsapi.RejectedLogEventsInfo{})); diff != "" {
		t.Fatalf("rejected (-want +got):\n%s", diff)
	}
	got := ok[*logsapi.GetLogEventsOutput](t)(s.GetLogEvents(ctx, &logsapi.GetLogEventsInput{LogGroupName: ptr("/app"), LogStreamName: ptr("web"), StartFromHead: ptr(true)}))
	var m []string
	for _, e := range got.Events {
		m = append(m, *e.Message)
	}
	// Kept in arrival order (package logstore): the late "ok" comes last.
	if diff := cmp.Diff([]string{"3", "4", "ok"}, m); diff != "" {
		t.Fatalf("stored events (-want +got):\n%s", diff)
	}
}

func TestService_PutRetentionPolicy_Values(t *testing.T) {
	s, _ := newTestService(t)
	setup(t, s, "g")
	for _, d := range []int32{0, 2, 4, 366, 3654, -1} {
		_, err := s.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: ptr("g"), RetentionInDays: ptr(d)})
		awserrtest.WantCode(t, err, "InvalidParameterException", "")
	}
	for _, d := range []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653} {
		ok[*logsapi.PutRetentionPolicyOutput](t)(s.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: ptr("g"), RetentionInDays: ptr(d)}))
	}
	_, err := s.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: ptr("nope"), RetentionInDays: ptr(int32(1))})
	awserrtest.WantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func TestService_GetLogEvents_Tokens(t *testing.T) {
	s, _ := newTestService(t)
	setup(t, s, "g", "s")
	base := ms(t0) - 1000
	put(t, s, "g", "s", base, 1, msgs("e", 10)...)
	get := func(in *logsapi.GetLogEventsInput) ([]string, *logsapi.GetLogEventsOutput) {
		t.Helper()
		in.LogGroupName, in.LogStreamName = ptr("g"), ptr("s")
		out := ok[*logsapi.GetLogEventsOutput](t)(s.GetLogEvents(ctx, in))
		var m []string
		for _, e := range out.Events {
			m = append(m, strings.TrimPrefix(*e.Message, "e "))
		}
		return m, out
	}
	// Default: the newest events, oldest first.
	m, out := get(&logsapi.GetLogEventsInput{Limit: ptr(int32(3))})
	if diff := cmp.Diff([]string{"7", "8", "9"}, m); diff != "" {
		t.Fatalf("tail (-want +got):\n%s", diff)
	}
	m, out = get(&logsapi.GetLogEventsInput{Limit: ptr(int32(3)), NextToken: out.NextBackwardToken})
	if diff := cmp.Diff([]string{"4", "5", "6"}, m); diff != "" {
		t.Fatalf("backward (-want +got):\n%s", diff)
	}
	fwd := out.NextForwardToken
	m, _ = get(&logsapi.GetLogEventsInput{Limit: ptr(int32(2)), NextToken: fwd})
	if diff := cmp.Diff([]string{"7", "8"}, m); diff != "" {
		t.Fatalf("forward (-want +got):\n%s", diff)
	}
	// From the head to the end; the last token comes back unchanged.
	m, out = get(&logsapi.GetLogEventsInput{StartFromHead: ptr(true), Limit: ptr(int32(6))})
	if diff := cmp.Diff([]string{"0", "1", "2", "3", "4", "5"}, m); diff != "" {
		t.Fatalf("head (-want +got):\n%s", diff)
	}
	m, out = get(&logsapi.GetLogEventsInput{NextToken: out.NextForwardToken, Limit: ptr(int32(6))})
	if len(m) != 4 {
		t.Fatalf("second page %v", m)
	}
	last := out.NextForwardToken
	m, out = get(&logsapi.GetLogEventsInput{NextToken: last})
	if len(m) != 0 || *out.NextForwardToken != *last {
		t.Fatalf("at the end: %v, token %s, want none and %s", m, *out.NextForwardToken, *last)
	}
	if !strings.HasPrefix(*last, "f/") || !strings.HasPrefix(*out.NextBackwardToken, "b/") {
		t.Fatalf("tokens %s %s", *last, *out.NextBackwardToken)
	}
	// New events appear after the forward token.
	put(t, s, "g", "s", base+20, 1, "e 10")
	if m, _ = get(&logsapi.GetLogEventsInput{NextToken: last}); !cmp.Equal(m, []string{"10"}) {
		t.Fatalf("after a new event: %v", m)
	}
	// Time bounds: start inclusive, end exclusive.
	m, _ = get(&logsapi.GetLogEventsInput{StartTime: ptr(base + 2), EndTime: ptr(base + 5), StartFromHead: ptr(true)})
	if diff := cmp.Diff([]string{"2", "3", "4"}, m); diff != "" {
		t.Fatalf("time range (-want +got):\n%s", diff)
	}
	// logGroupIdentifier takes an ARN.
	out = ok[*logsapi.GetLogEventsOutput](t)(s.GetLogEvents(ctx, &logsapi.GetLogEventsInput{
		LogGroupIdentifier: ptr("arn:aws:logs:us-east-1:123456789012:log-group:g"), LogStreamName: ptr("s"), Limit: ptr(int32(1))}))
	if len(out.Events) != 1 {
		t.Fatalf("by ARN: %d events", len(out.Events))
	}
	for _, bad := range []*logsapi.GetLogEventsInput{
		{LogGroupName: ptr("g"), LogStreamName: ptr("s"), NextToken: ptr("garbage")},
		{LogGroupName: ptr("g"), LogStreamName: ptr("s"), Limit: ptr(int32(10001))},
		{LogGroupName: ptr("g"), LogGroupIdentifier: ptr("g"), LogStreamName: ptr("s")},
	} {
		_, err := s.GetLogEvents(ctx, bad)
		awserrtest.WantCode(t, err, "InvalidParameterException", "")
	}
	_, err := s.GetLogEvents(ctx, &logsapi.GetLogEventsInput{LogGroupName: ptr("g"), LogStreamName: ptr("x")})
	awserrtest.WantCode(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
}

func TestService_FilterLogEvents_InterleavedPaging(t *testing.T) {
	s, _ := newTestService(t)
	setup(t, s, "g", "a", "b", "c")
	base := ms(t0) - 100_000
	put(t, s, "g", "a", base, 3, msgs("a ERROR", 20)...)
	put(t, s, "g", "b", base+1, 3, msgs("b INFO", 20)...)
	put(t, s, "g", "c", base+2, 3, msgs("c ERROR", 20)...)
	var all []string
	var tok *string
	pages := 0
	for {
		out := ok[*logsapi.FilterLogEventsOutput](t)(s.FilterLogEvents(ctx, &logsapi.FilterLogEventsInput{
			LogGroupName: ptr("g"), FilterPattern: ptr("ERROR"), Limit: ptr(int32(7)), NextToken: tok}))
		pages++
		var prev int64
		for _, e := range out.Events {
			if *e.Timestamp < prev {
				t.Fatalf("not in time order: %d after %d", *e.Timestamp, prev)
			}
			prev = *e.Timestamp
			all = append(all, *e.LogStreamName+":"+*e.Message)
			if len(*e.EventId) != 56 || *e.IngestionTime == 0 {
				t.Fatalf("event %+v", e)
			}
		}
		if tok = out.NextToken; tok == nil {
			break
		}
	}
	if len(all) != 40 || pages != 6 {
		t.Fatalf("%d events in %d pages, want 40 in 6", len(all), pages)
	}
	if all[0] != "a:a ERROR 0" || all[1] != "c:c ERROR 0" || all[39] != "c:c ERROR 19" {
		t.Fatalf("order: %v ... %v", all[:2], all[39])
	}
	tests := []struct {
		name string
		in   logsapi.FilterLogEventsInput
		want int
	}{
		{"stream names", logsapi.FilterLogEventsInput{LogStreamNames: []string{"b", "missing"}}, 20},
		{"prefix", logsapi.FilterLogEventsInput{LogStreamNamePrefix: ptr("c")}, 20},
		{"time", logsapi.FilterLogEventsInput{StartTime: ptr(base + 30), EndTime: ptr(base + 60)}, 30},
		{"term and time", logsapi.FilterLogEventsInput{StartTime: ptr(base + 30), EndTime: ptr(base + 60), FilterPattern: ptr("INFO")}, 10},
		{"no match", logsapi.FilterLogEventsInput{FilterPattern: ptr("WARN")}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.LogGroupName = ptr("g")
			out := ok[*logsapi.FilterLogEventsOutput](t)(s.FilterLogEvents(ctx, &in))
			if len(out.Events) != tc.want || out.NextToken != nil {
				t.Fatalf("%d events (token %v), want %d", len(out.Events), out.NextToken, tc.want)
			}
		})
	}
	_, err := s.FilterLogEvents(ctx, &logsapi.FilterLogEventsInput{LogGroupName: ptr("g"), FilterPattern: ptr(`{ $.x = `)})
	awserrtest.WantCode(t, err, "InvalidParameterException", "")
	_, err = s.FilterLogEvents(ctx, &logsapi.FilterLogEventsInput{LogGroupName: ptr("g"), LogStreamNames: []string{"a"}, LogStreamNamePrefix: ptr("a")})
	awserrtest.WantCode(t, err, "InvalidParameterException", "")
	_, err = s.FilterLogEvents(ctx, &logsapi.FilterLogEventsInput{LogGroupName: ptr("nope")})
	awserrtest.WantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func TestService_DescribeLogStreams_Order(t *testing.T) {
	s, _ := newTestService(t)
	setup(t, s, "g", "s1", "s2", "s3", "t1")
	now := ms(t0)
	put(t, s, "g", "s2", now-3000, 1, "x")
	put(t, s, "g", "t1", now-2000, 1, "x")
	put(t, s, "g", "s1", now-1000, 1, "x")
	names := func(in *logsapi.DescribeLogStreamsInput) ([]string, *string) {
		t.Helper()
		in.LogGroupName = ptr("g")
		out := ok[*logsapi.DescribeLogStreamsOutput](t)(s.DescribeLogStreams(ctx, in))
		var n []string
		for _, st := range out.LogStreams {
			n = append(n, *st.LogStreamName)
		}
		return n, out.NextToken
	}
	tests := []struct {
		name string
		in   logsapi.DescribeLogStreamsInput
		want []string
	}{
		{"name", logsapi.DescribeLogStreamsInput{}, []string{"s1", "s2", "s3", "t1"}},
		{"name desc", logsapi.DescribeLogStreamsInput{Descending: ptr(true)}, []string{"t1", "s3", "s2", "s1"}},
		{"prefix", logsapi.DescribeLogStreamsInput{LogStreamNamePrefix: ptr("s")}, []string{"s1", "s2", "s3"}},
		{"time", logsapi.DescribeLogStreamsInput{OrderBy: ptr("LastEventTime")}, []string{"s3", "s2", "t1", "s1"}},
		{"time desc", logsapi.DescribeLogStreamsInput{OrderBy: ptr("LastEventTime"), Descending: ptr(true)}, []string{"s1", "t1", "s2", "s3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Whole, then one per page.
			in := tc.in
			got, _ := names(&in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			var paged []string
			var tok *string
			for {
				in := tc.in
				in.Limit, in.NextToken = ptr(int32(1)), tok
				n, next := names(&in)
				paged = append(paged, n...)
				if tok = next; tok == nil {
					break
				}
			}
			if diff := cmp.Diff(tc.want, paged); diff != "" {
				t.Fatalf("paged (-want +got):\n%s", diff)
			}
		})
	}
	_, err := s.DescribeLogStreams(ctx, &logsapi.DescribeLogStreamsInput{LogGroupName: ptr("g"), OrderBy: ptr("LastEventTime"), LogStreamNamePrefix: ptr("s")})
	awserrtest.WantCode(t, err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	out := ok[*logsapi.DescribeLogStreamsOutput](t)(s.DescribeLogStreams(ctx, &logsapi.DescribeLogStreamsInput{LogGroupName: ptr("g"), LogStreamNamePrefix: ptr("s2")}))
	st := out.LogStreams[0]
	if *st.FirstEventTimestamp != now-3000 || *st.LastEventTimestamp != now-3000 || *st.LastIngestionTime != now || *st.StoredBytes == 0 ||
		*st.Arn != "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s2" || st.UploadSequenceToken == nil {
		t.Fatalf("stream %+v", st)
	}
}

func TestService_Retention(t *testing.T) {
	s, c := newTestService(t)
	setup(t, s, "g", "s")
	setup(t, s, "keep", "s")
	// One event an hour for 10 hours; segments span at most an hour.
	for h := 0; h < 10; h++ {
		put(t, s, "g", "s", ms(c.Now()), 1, "tick")
		put(t, s, "keep", "s", ms(c.Now()), 1, "tick")
		c.Advance(time.Hour)
	}
	ok[*logsapi.PutRetentionPolicyOutput](t)(s.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: ptr("g"), RetentionInDays: ptr(int32(1))}))
	stored := func(g string) int64 {
		out := ok[*logsapi.DescribeLogGroupsOutput](t)(s.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsInput{LogGroupNamePrefix: ptr(g)}))
		return *out.LogGroups[0].StoredBytes
	}
	before := stored("g")
	c.Advance(24*time.Hour - 5*time.Hour) // the first 5 events are now older than a day
	if err := s.ApplyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	out := ok[*logsapi.GetLogEventsOutput](t)(s.GetLogEvents(ctx, &logsapi.GetLogEventsInput{LogGroupName: ptr("g"), LogStreamName: ptr("s"), StartFromHead: ptr(true)}))
	// Whole segments go: hours 0-1 and 2-3 share segments (an hour apart
	// is within the test's 1h SegmentSpan); hours 4-5 stay with hour 5.
	if len(out.Events) != 6 || *out.Events[0].Timestamp != ms(t0.Add(4*time.Hour)) || stored("g") >= before || stored("g") == 0 {
		t.Fatalf("after retention: %d events, stored %d (was %d); want 6 from hour 4 and fewer bytes", len(out.Events), stored("g"), before)
	}
	if stored("keep") != before {
		t.Fatalf("group without retention: stored %d, want %d", stored("keep"), before)
	}
}

func TestService_Groups(t *testing.T) {
	s, _ := newTestService(t)
	for _, n := range []string{"/aws/ecs/a", "/aws/ecs/b", "/app/web", "Other-Group_1.x#"} {
		ok[*logsapi.CreateLogGroupOutput](t)(s.CreateLogGroup(ctx, &logsapi.CreateLogGroupInput{LogGroupName: ptr(n), Tags: map[string]string{"team": "a"}}))
	}
	_, err := s.CreateLogGroup(ctx, &logsapi.CreateLogGroupInput{LogGroupName: ptr("/app/web")})
	awserrtest.WantCode(t, err, "ResourceAlreadyExistsException", "The specified log group already exists")
	for _, bad := range []string{"", "has space", "a:b", strings.Repeat("a", 513)} {
		_, err := s.CreateLogGroup(ctx, &logsapi.CreateLogGroupInput{LogGroupName: ptr(bad)})
		awserrtest.WantCode(t, err, "InvalidParameterException", "")
	}
	_, err = s.CreateLogGroup(ctx, &logsapi.CreateLogGroupInput{LogGroupName: ptr("t"), Tags: map[string]string{"aws:x": "y"}})
	awserrtest.WantCode(t, err, "InvalidParameterException", "")
	list := func(in *logsapi.DescribeLogGroupsInput) []string {
		out := ok[*logsapi.DescribeLogGroupsOutput](t)(s.DescribeLogGroups(ctx, in))
		var n []string
		for _, g := range out.LogGroups {
			n = append(n, *g.LogGroupName)
		}
		return n
	}
	if diff := cmp.Diff([]string{"/aws/ecs/a", "/aws/ecs/b"}, list(&logsapi.DescribeLogGroupsInput{LogGroupNamePrefix: ptr("/aws/")})); diff != "" {
		t.Fatal(diff)
	}
	if diff := cmp.Diff([]string{"/app/web", "Other-Group_1.x#"}, list(&logsapi.DescribeLogGroupsInput{LogGroupNamePattern: ptr("P")})); diff != "" {
		t.Fatal(diff)
	}
	_, err = s.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsInput{LogGroupNamePattern: ptr("a"), LogGroupNamePrefix: ptr("a")})
	awserrtest.WantCode(t, err, "InvalidParameterException", "")
	_, err = s.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsInput{Limit: ptr(int32(51))})
	awserrtest.WantCode(t, err, "InvalidParameterException", "")
	out := ok[*logsapi.DescribeLogGroupsOutput](t)(s.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsInput{Limit: ptr(int32(1))}))
	g := out.LogGroups[0]
	if *g.Arn != "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*" || *g.LogGroupArn != "arn:aws:logs:us-east-1:123456789012:log-group:/app/web" ||
		*g.MetricFilterCount != 0 || *g.StoredBytes != 0 || g.RetentionInDays != nil || *g.CreationTime != ms(t0) || out.NextToken == nil {
		t.Fatalf("group %+v token %v", g, out.NextToken)
	}

	// Tags, by name and by ARN.
	arn := "arn:aws:logs:us-east-1:123456789012:log-group:/app/web"
	ok[*logsapi.TagResourceOutput](t)(s.TagResource(ctx, &logsapi.TagResourceInput{ResourceArn: ptr(arn), Tags: map[string]string{"env": "prod"}}))
	ok[*logsapi.UntagLogGroupOutput](t)(s.UntagLogGroup(ctx, &logsapi.UntagLogGroupInput{LogGroupName: ptr("/app/web"), Tags: []string{"team"}}))
	ok[*logsapi.TagLogGroupOutput](t)(s.TagLogGroup(ctx, &logsapi.TagLogGroupInput{LogGroupName: ptr("/app/web"), Tags: map[string]string{"k": "v"}}))
	tags := ok[*logsapi.ListTagsForResourceOutput](t)(s.ListTagsForResource(ctx, &logsapi.ListTagsForResourceInput{ResourceArn: ptr(arn)}))
	if diff := cmp.Diff(map[string]string{"env": "prod", "k": "v"}, tags.Tags); diff != "" {
		t.Fatal(diff)
	}
	many := map[string]string{}
	for i := 0; i < 49; i++ {
		many[fmt.Sprint("k", i)] = "v"
	}
	_, err = s.TagResource(ctx, &logsapi.TagResourceInput{ResourceArn: ptr(arn), Tags: many})
	awserrtest.WantCode(t, err, "TooManyTagsException", "")
	_, err = s.ListTagsForResource(ctx, &logsapi.ListTagsForResourceInput{ResourceArn: ptr(arn + "x")})
	awserrtest.WantCode(t, err, "ResourceNotFoundException", "")

	// Deleting a group deletes its streams and events; a new group of the
	// same name starts empty.
	ok[*logsapi.CreateLogStreamOutput](t)(s.CreateLogStream(ctx, &logsapi.CreateLogStreamInput{LogGroupName: ptr("/app/web"), LogStreamName: ptr("s")}))
	put(t, s, "/app/web", "s", ms(t0), 1, "x")
	ok[*logsapi.DeleteLogGroupOutput](t)(s.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupInput{LogGroupName: ptr("/app/web")}))
	_, err = s.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupInput{LogGroupName: ptr("/app/web")})
	awserrtest.WantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	setup(t, s, "/app/web", "s")
	if out := ok[*logsapi.GetLogEventsOutput](t)(s.GetLogEvents(ctx, &logsapi.GetLogEventsInput{LogGroupName: ptr("/app/web"), LogStreamName: ptr("s")})); len(out.Events) != 0 {
		t.Fatalf("recreated group has %d events", len(out.Events))
	}
	_, err = s.CreateLogStream(ctx, &logsapi.CreateLogStreamInput{LogGroupName: ptr("/app/web"), LogStreamName: ptr("s")})
	awserrtest.WantCode(t, err, "ResourceAlreadyExistsException", "The specified log stream already exists")
	_, err = s.CreateLogStream(ctx, &logsapi.CreateLogStreamInput{LogGroupName: ptr("/none"), LogStreamName: ptr("s")})
	awserrtest.WantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func TestService_AuthzTarget(t *testing.T) {
	s, _ := newTestService(t)
	ok[*logsapi.CreateLogGroupOutput](t)(s.CreateLogGroup(ctx, &logsapi.CreateLogGroupInput{LogGroupName: ptr("/g"), Tags: map[string]string{"team": "a"}}))
	g := "arn:aws:logs:us-east-1:123456789012:log-group:/g"
	tests := []struct {
		op     string
		in     any
		action string
		res    []string
		ctxKey string
	}{
		{"CreateLogGroup", &logsapi.CreateLogGroupInput{LogGroupName: ptr("/n"), Tags: map[string]string{"a": "b"}}, "logs:CreateLogGroup",
			[]string{"arn:aws:logs:us-east-1:123456789012:log-group:/n"}, "aws:RequestTag/a"},
		{"DescribeLogGroups", &logsapi.DescribeLogGroupsInput{}, "logs:DescribeLogGroups", nil, ""},
		{"PutLogEvents", &logsapi.PutLogEventsInput{LogGroupName: ptr("/g"), LogStreamName: ptr("s")}, "logs:PutLogEvents", []string{g + ":log-stream:s"}, "aws:ResourceTag/team"},
		{"GetLogEvents", &logsapi.GetLogEventsInput{LogGroupIdentifier: ptr(g), LogStreamName: ptr("s")}, "logs:GetLogEvents", []string{g + ":log-stream:s"}, ""},
		{"FilterLogEvents", &logsapi.FilterLogEventsInput{LogGroupName: ptr("/g")}, "logs:FilterLogEvents", []string{g}, ""},
		{"TagResource", &logsapi.TagResourceInput{ResourceArn: ptr(g + ":*")}, "logs:TagResource", []string{g}, ""},
		{"CreateLogStream", &logsapi.CreateLogStreamInput{LogGroupName: ptr("/g"), LogStreamName: ptr("s")}, "logs:CreateLogStream", []string{g + ":log-stream:s"}, ""},
		{"DescribeLogStreams", &logsapi.DescribeLogStreamsInput{LogGroupName: ptr("/g")}, "logs:DescribeLogStreams", []string{g}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			tg, err := s.AuthzTarget(ctx, tc.op, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Action != tc.action || !cmp.Equal(tc.res, tg.Resources) {
				t.Fatalf("target %+v, want %s on %v", tg, tc.action, tc.res)
			}
			if tc.ctxKey != "" && tg.Context[tc.ctxKey] == nil {
				t.Fatalf("context %v lacks %s", tg.Context, tc.ctxKey)
			}
		})
	}
}
