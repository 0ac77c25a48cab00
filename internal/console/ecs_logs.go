// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// logEvent is a log line as the page and the live tail show it.
type logEvent struct {
	Time    string `json:"time"` // RFC 3339
	Message string `json:"message"`
}

// logStream names a container's awslogs stream, as the ECS agent names it:
// PREFIX/CONTAINER/TASK-ID in the group of the awslogs-group option.
type logStream struct {
	Group, Stream string
}

func streamOf(td *ecstypes.TaskDefinition, container, taskID string) (logStream, bool) {
	if td == nil {
		return logStream{}, false
	}
	for _, cd := range td.ContainerDefinitions {
		lc := cd.LogConfiguration
		if aws.ToString(cd.Name) != container || lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			continue
		}
		s := logStream{Group: lc.Options["awslogs-group"], Stream: container + "/" + taskID}
		if p := lc.Options["awslogs-stream-prefix"]; p != "" {
			s.Stream = p + "/" + s.Stream
		}
		return s, s.Group != ""
	}
	return logStream{}, false
}

// taskLogs is a container's log stream, from the start, then tailed live
// by the script through apiLogs.
func (c *Console) taskLogs(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, td, err := c.taskData(r.Context(), r, rq)
	if err != nil {
		return err
	}
	container := r.PathValue("container")
	ls, ok := streamOf(td, container, d.Task.ID)
	data := struct {
		Cluster, Task, Container string
		Stream                   logStream
		Configured               bool
		Events                   []logEvent
		Next                     string
		Error                    *apiError
	}{Cluster: d.Cluster, Task: d.Task.ID, Container: container, Stream: ls, Configured: ok}
	if ok {
		data.Events, data.Next, err = c.readLogs(r, rq, ls, "")
		data.Error = errOrNil(err)
	}
	v := c.newView(rq, "Logs: "+container)
	v.Nav = "ecs-clusters"
	v.Data = data
	c.render(w, r, http.StatusOK, "logs", v)
	return nil
}

// readLogs reads the stream forward from token (the start when empty).
func (c *Console) readLogs(r *http.Request, rq *request, ls logStream, token string) ([]logEvent, string, error) {
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(ls.Group), LogStreamName: aws.String(ls.Stream), StartFromHead: aws.Bool(true), Limit: aws.Int32(1000)}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	out, err := rq.api.logs.GetLogEvents(r.Context(), in)
	if err != nil {
		return nil, token, err
	}
	events := make([]logEvent, 0, len(out.Events))
	for _, e := range out.Events {
		events = append(events, logEvent{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC().Format(time.RFC3339Nano), Message: aws.ToString(e.Message)})
	}
	return events, aws.ToString(out.NextForwardToken), nil
}

// apiLogs is the live tail: the events after token.
func (c *Console) apiLogs(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	events, next, err := c.readLogs(r, rq, logStream{Group: q.Get("group"), Stream: q.Get("stream")}, q.Get("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events, "next": next})
	return nil
}
