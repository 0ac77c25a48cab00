// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

// logsClient returns a CloudWatch Logs client signed with the fixed root
// key of rootEnv.
func logsClient(p *testutil.Process) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(testutil.Config(p.URL, "AKIAIAMENGINETEST001", "iam-engine-test-secret-key-000000000000000", ""))
}

// wantAPIError checks an SDK error's AWS error code and, when msg is not
// empty, that its message contains msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error %s: %s, want %s: %s", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func events(start time.Time, step time.Duration, msgs ...string) []types.InputLogEvent {
	out := make([]types.InputLogEvent, len(msgs))
	for i, m := range msgs {
		out[i] = types.InputLogEvent{Timestamp: aws.Int64(start.Add(time.Duration(i) * step).UnixMilli()), Message: aws.String(m)}
	}
	return out
}

func TestLogs_SDK(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.StartServer(t, dir, rootEnv)
	c, ctx := logsClient(srv), context.Background()
	now := time.Now()

	// Log groups: create, reject a duplicate, list with pagination.
	for i := 0; i < 5; i++ {
		_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(fmt.Sprintf("/page/g%d", i))})
		setup(t, err)
	}
	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app"), Tags: map[string]string{"team": "web"}})
	setup(t, err)
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app")})
	wantAPIError(t, err, "ResourceAlreadyExistsException", "The specified log group already exists")
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name")})
	wantAPIError(t, err, "InvalidParameterException", "regular expression pattern")
	var names []string
	pages := 0
	pager := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/page/"), Limit: aws.Int32(2)})
	for pager.HasMorePages() {
		out, err := pager.NextPage(ctx)
		setup(t, err)
		pages++
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	if diff := cmp.Diff([]string{"/page/g0", "/page/g1", "/page/g2", "/page/g3", "/page/g4"}, names); diff != "" || pages != 3 {
		t.Fatalf("DescribeLogGroups pages %d (-want +got):\n%s", pages, diff)
	}
	_, err = c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
	wantAPIError(t, err, "InvalidParameterException", "")

	// Retention: AWS's values only.
	_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/app"), RetentionInDays: aws.Int32(2)})
	wantAPIError(t, err, "InvalidParameterException", "retentionInDays")
	_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/app"), RetentionInDays: aws.Int32(7)})
	setup(t, err)
	app := describeGroup(t, c, "/app")
	if aws.ToInt32(app.RetentionInDays) != 7 || aws.ToString(app.Arn) != "arn:aws:logs:us-east-1:123456789012:log-group:/app:*" ||
		aws.ToString(app.LogGroupArn) != "arn:aws:logs:us-east-1:123456789012:log-group:/app" || app.CreationTime == nil || aws.ToInt32(app.MetricFilterCount) != 0 {
		t.Fatalf("log group %+v", app)
	}
	_, err = c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("/app")})
	setup(t, err)
	if g := describeGroup(t, c, "/app"); g.RetentionInDays != nil {
		t.Fatalf("retention after DeleteRetentionPolicy: %d", *g.RetentionInDays)
	}

	// Tags, by ARN and by name.
	arn := "arn:aws:logs:us-east-1:123456789012:log-group:/app"
	_, err = c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod"}})
	setup(t, err)
	_, err = c.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: aws.String("/app"), Tags: map[string]string{"tier": "1"}})
	setup(t, err)
	_, err = c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}})
	setup(t, err)
	tags, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	setup(t, err)
	if diff := cmp.Diff(map[string]string{"env": "prod", "tier": "1"}, tags.Tags); diff != "" {
		t.Fatalf("tags (-want +got):\n%s", diff)
	}
	_, err = c.UntagLogGroup(ctx, &cloudwatchlogs.UntagLogGroupInput{LogGroupName: aws.String("/app"), Tags: []string{"tier"}})
	setup(t, err)
	old, err := c.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String("/app")})
	setup(t, err)
	if diff := cmp.Diff(map[string]string{"env": "prod"}, old.Tags); diff != "" {
		t.Fatalf("ListTagsLogGroup (-want +got):\n%s", diff)
	}

	// Streams and PutLogEvents with AWS's rules.
	for _, s := range []string{"web-1", "web-2", "worker"} {
		_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String(s)})
		setup(t, err)
	}
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("web-1")})
	wantAPIError(t, err, "ResourceAlreadyExistsException", "The specified log stream already exists")
	start := now.Add(-time.Minute)
	var msgs []string
	for i := 0; i < 30; i++ {
		level := "INFO"
		if i%10 == 3 {
			level = "ERROR"
		}
		msgs = append(msgs, fmt.Sprintf("%s request %d", level, i))
	}
	put, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("web-1"),
		LogEvents: events(start, time.Millisecond, msgs...), SequenceToken: aws.String("ignored")})
	setup(t, err)
	if put.NextSequenceToken == nil || put.RejectedLogEventsInfo != nil {
		t.Fatalf("PutLogEvents = %+v", put)
	}
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("web-2"),
		LogEvents: events(start.Add(500*time.Microsecond), time.Millisecond, "INFO other 0", "ERROR other 1")})
	setup(t, err)
	mixed := []types.InputLogEvent{
		{Timestamp: aws.Int64(now.Add(-15 * 24 * time.Hour).UnixMilli()), Message: aws.String("too old")},
		{Timestamp: aws.Int64(now.Add(-14*24*time.Hour - time.Hour).UnixMilli()), Message: aws.String("too old too")},
	}
	rej, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("worker"), LogEvents: mixed})
	setup(t, err)
	if r := rej.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 1 {
		t.Fatalf("rejectedLogEventsInfo = %+v, want tooOldLogEventEndIndex 1", r)
	}
	rej, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("worker"),
		LogEvents: events(now, 3*time.Hour, "now", "future")})
	setup(t, err)
	if r := rej.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.TooNewLogEventStartIndex) != 1 {
		t.Fatalf("rejectedLogEventsInfo = %+v, want tooNewLogEventStartIndex 1", r)
	}
	refusals := []struct {
		name   string
		stream string
		events []types.InputLogEvent
		code   string
		msg    string
	}{
		{"out of order", "worker", append(events(now, 0, "b"), events(now.Add(-time.Second), 0, "a")...), "InvalidParameterException", "chronological order"},
		{"span", "worker", events(now.Add(-25*time.Hour), 25*time.Hour, "a", "b"), "InvalidParameterException", "cannot span more than 24 hours"},
		{"batch size", "worker", events(now, 0, strings.Repeat("x", 200<<10), strings.Repeat("x", 200<<10), strings.Repeat("x", 200<<10),
			strings.Repeat("x", 200<<10), strings.Repeat("x", 200<<10), strings.Repeat("x", 200<<10)), "InvalidParameterException", "Upload too large"},
		{"event size", "worker", events(now, 0, strings.Repeat("x", 256<<10)), "InvalidParameterException", "Log event too large"},
		{"no stream", "nope", events(now, 0, "a"), "ResourceNotFoundException", "The specified log stream does not exist."},
	}
	for _, tc := range refusals {
		t.Run("refuse "+tc.name, func(t *testing.T) {
			_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String(tc.stream), LogEvents: tc.events})
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s"), LogEvents: events(now, 0, "a")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	// DescribeLogStreams: counters, ordering, pagination, AWS's refusal.
	ds, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app"), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
	setup(t, err)
	var order []string
	for _, s := range ds.LogStreams {
		order = append(order, aws.ToString(s.LogStreamName))
	}
	if diff := cmp.Diff([]string{"worker", "web-1", "web-2"}, order); diff != "" {
		t.Fatalf("by last event time, descending (-want +got):\n%s", diff)
	}
	w1 := ds.LogStreams[1]
	if aws.ToInt64(w1.FirstEventTimestamp) != start.UnixMilli() || aws.ToInt64(w1.LastEventTimestamp) != start.Add(29*time.Millisecond).UnixMilli() ||
		w1.LastIngestionTime == nil || aws.ToInt64(w1.StoredBytes) == 0 || w1.UploadSequenceToken == nil ||
		aws.ToString(w1.Arn) != arn+":log-stream:web-1" {
		t.Fatalf("web-1 = %+v", w1)
	}
	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app"), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("web")})
	wantAPIError(t, err, "InvalidParameterException", "")
	order = nil
	sp := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(arn), LogStreamNamePrefix: aws.String("web"), Limit: aws.Int32(1)})
	for sp.HasMorePages() {
		out, err := sp.NextPage(ctx)
		setup(t, err)
		for _, s := range out.LogStreams {
			order = append(order, aws.ToString(s.LogStreamName))
		}
	}
	if diff := cmp.Diff([]string{"web-1", "web-2"}, order); diff != "" {
		t.Fatalf("paged by prefix (-want +got):\n%s", diff)
	}
	if g := describeGroup(t, c, "/app"); aws.ToInt64(g.StoredBytes) == 0 {
		t.Fatalf("group storedBytes = 0 after PutLogEvents")
	}

	// GetLogEvents: tail, backward and forward tokens, the same token at the end.
	get := func(in *cloudwatchlogs.GetLogEventsInput) ([]string, *cloudwatchlogs.GetLogEventsOutput) {
		t.Helper()
		in.LogGroupName, in.LogStreamName = aws.String("/app"), aws.String("web-1")
		out, err := c.GetLogEvents(ctx, in)
		setup(t, err)
		var m []string
		for _, e := range out.Events {
			m = append(m, aws.ToString(e.Message))
		}
		return m, out
	}
	m, out := get(&cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(10)})
	if diff := cmp.Diff(msgs[20:], m); diff != "" {
		t.Fatalf("tail (-want +got):\n%s", diff)
	}
	m, out = get(&cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(10), NextToken: out.NextBackwardToken})
	if diff := cmp.Diff(msgs[10:20], m); diff != "" {
		t.Fatalf("backward (-want +got):\n%s", diff)
	}
	m, out = get(&cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(25)})
	if diff := cmp.Diff(msgs[:25], m); diff != "" {
		t.Fatalf("head (-want +got):\n%s", diff)
	}
	m, out = get(&cloudwatchlogs.GetLogEventsInput{NextToken: out.NextForwardToken})
	if diff := cmp.Diff(msgs[25:], m); diff != "" {
		t.Fatalf("forward (-want +got):\n%s", diff)
	}
	end := out.NextForwardToken
	if m, out = get(&cloudwatchlogs.GetLogEventsInput{NextToken: end}); len(m) != 0 || aws.ToString(out.NextForwardToken) != aws.ToString(end) {
		t.Fatalf("at the end: %v and token %s, want none and %s", m, aws.ToString(out.NextForwardToken), aws.ToString(end))
	}
	m, _ = get(&cloudwatchlogs.GetLogEventsInput{StartTime: aws.Int64(start.Add(5 * time.Millisecond).UnixMilli()), EndTime: aws.Int64(start.Add(8 * time.Millisecond).UnixMilli()), StartFromHead: aws.Bool(true)})
	if diff := cmp.Diff(msgs[5:8], m); diff != "" {
		t.Fatalf("time bounded (-want +got):\n%s", diff)
	}

	// FilterLogEvents: a pattern across streams, interleaved in time order, paged.
	var found []string
	fp := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), FilterPattern: aws.String("ERROR"), Limit: aws.Int32(2)})
	for fp.HasMorePages() {
		out, err := fp.NextPage(ctx)
		setup(t, err)
		for _, e := range out.Events {
			found = append(found, aws.ToString(e.LogStreamName)+": "+aws.ToString(e.Message))
			if e.EventId == nil || e.IngestionTime == nil {
				t.Fatalf("filtered event %+v", e)
			}
		}
	}
	want := []string{"web-2: ERROR other 1", "web-1: ERROR request 3", "web-1: ERROR request 13", "web-1: ERROR request 23"}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Fatalf("FilterLogEvents (-want +got):\n%s", diff)
	}
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), FilterPattern: aws.String(`{ $.a = `)})
	wantAPIError(t, err, "InvalidParameterException", "")

	// Events are durable: a kill -9 and restart keeps them.
	srv.Kill()
	srv = testutil.StartServer(t, dir, rootEnv)
	c = logsClient(srv)
	m, _ = get(&cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true)})
	if diff := cmp.Diff(msgs, m); diff != "" {
		t.Fatalf("after kill -9 and restart (-want +got):\n%s", diff)
	}

	// Deletes.
	_, err = c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("web-2")})
	setup(t, err)
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("web-2")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	_, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/app")})
	setup(t, err)
	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
}

func describeGroup(t *testing.T, c *cloudwatchlogs.Client, name string) types.LogGroup {
	t.Helper()
	out, err := c.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	setup(t, err)
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == name {
			return g
		}
	}
	t.Fatalf("log group %s not listed", name)
	return types.LogGroup{}
}

// TestLogs_IAM: a user whose policy allows logs:* but denies
// logs:PutLogEvents on one stream gets AccessDeniedException there.
func TestLogs_IAM(t *testing.T) {
	srv := testutil.StartServer(t, t.TempDir(), rootEnv)
	root, ctx := rootSDK(srv), context.Background()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("shipper")})
	setup(t, err)
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("shipper"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:DescribeLogStreams"],"Resource":"*"},
	  {"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/ok:log-stream:*"}]}`)})
	setup(t, err)
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("shipper")})
	setup(t, err)
	c := cloudwatchlogs.NewFromConfig(testutil.Config(srv.URL, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""))
	for _, g := range []string{"/ok", "/other"} {
		_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)})
		setup(t, err)
		_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s")})
		setup(t, err)
	}
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ok"), LogStreamName: aws.String("s"), LogEvents: events(time.Now(), 0, "hello")})
	setup(t, err)
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/other"), LogStreamName: aws.String("s"), LogEvents: events(time.Now(), 0, "hello")})
	wantAPIError(t, err, "AccessDeniedException",
		"User: arn:aws:iam::123456789012:user/shipper is not authorized to perform: logs:PutLogEvents on resource: arn:aws:logs:us-east-1:123456789012:log-group:/other:log-stream:s")
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ok"), LogStreamName: aws.String("s")})
	wantAPIError(t, err, "AccessDeniedException", "logs:GetLogEvents")
	// The refused call stored nothing.
	out, err := logsClient(srv).GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/other"), LogStreamName: aws.String("s")})
	setup(t, err)
	if len(out.Events) != 0 {
		t.Fatalf("denied PutLogEvents stored %d events", len(out.Events))
	}
}

func TestLogs_CLI(t *testing.T) {
	srv := testutil.StartServer(t, t.TempDir(), nil)
	aws := newCLI(t, srv)
	aws.must(nil, "logs", "create-log-group", "--log-group-name", "/cli/app")
	aws.must(nil, "logs", "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "main")
	now := time.Now().Add(-time.Minute).UnixMilli()
	evs := fmt.Sprintf(`[{"timestamp":%d,"message":"GET /index 200"},{"timestamp":%d,"message":"GET /missing 404"},{"timestamp":%d,"message":"POST /login 200"}]`, now, now+1, now+2)
	aws.must(nil, "logs", "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "main", "--log-events", evs)

	var got struct {
		Events []struct {
			Timestamp int64
			Message   string
		}
		NextForwardToken, NextBackwardToken string
	}
	aws.must(&got, "logs", "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "main", "--start-from-head")
	var m []string
	for _, e := range got.Events {
		m = append(m, e.Message)
	}
	if diff := cmp.Diff([]string{"GET /index 200", "GET /missing 404", "POST /login 200"}, m); diff != "" {
		t.Fatalf("get-log-events (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.NextForwardToken, "f/") || !strings.HasPrefix(got.NextBackwardToken, "b/") {
		t.Fatalf("tokens %q %q", got.NextForwardToken, got.NextBackwardToken)
	}

	var filtered struct {
		Events []struct{ LogStreamName, Message, EventId string }
	}
	aws.must(&filtered, "logs", "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "GET")
	m = nil
	for _, e := range filtered.Events {
		m = append(m, e.LogStreamName+" "+e.Message)
	}
	if diff := cmp.Diff([]string{"main GET /index 200", "main GET /missing 404"}, m); diff != "" {
		t.Fatalf("filter-log-events (-want +got):\n%s", diff)
	}
	aws.mustFail("ResourceNotFoundException", "logs", "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "nope")

	t.Run("tail (AWS CLI v2)", func(t *testing.T) {
		out, err := exec.Command("/usr/bin/aws", "--version").Output()
		if err != nil || !strings.HasPrefix(string(out), "aws-cli/2") {
			t.Skipf("AWS CLI v2 is not installed at /usr/bin/aws (aws logs tail exists only in v2): %q %v", out, err)
		}
		stdout, stderr, ok := aws.runAWS("/usr/bin/aws", "logs", "tail", "/cli/app", "--since", "1h", "--format", "short")
		if !ok {
			t.Fatalf("aws logs tail: %s", stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 3 || !strings.HasSuffix(lines[0], " GET /index 200") || !strings.HasSuffix(lines[2], " POST /login 200") {
			t.Fatalf("aws logs tail printed:\n%s", stdout)
		}
	})
}
