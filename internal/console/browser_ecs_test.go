// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/chromedp/chromedp"

	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/firstrun"
	"github.com/berthdev/berth/internal/simagent"
	"github.com/berthdev/berth/internal/testutil"
	"github.com/berthdev/berth/internal/testutil/poll"
)

const webTaskDef = `{
  "family": "web",
  "containerDefinitions": [
    {
      "name": "web",
      "image": "busybox",
      "cpu": 128,
      "memory": 64,
      "essential": true,
      "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}}
    }
  ]
}`

// TestBrowser_ECSPages: with two simulated container instances in the
// default cluster, register a task definition from JSON, watch tasks and
// a service on the cluster pages (refreshed live), stop a task and see its
// exit code.
func TestBrowser_ECSPages(t *testing.T) {
	chromium(t) // skips early when there is no browser
	cp := testutil.TestControlPlane(t)
	ctx, cancel := context.WithCancel(context.Background())
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(firstrun.ClusterName)}); err != nil {
		t.Fatal(err)
	}
	fleet, err := simagent.New(simagent.Config{
		Endpoint: cp.URL, Cluster: firstrun.ClusterName, Count: 2, StopExitCode: 143, ProgressInterval: -1,
		Session: acs.SessionConfig{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
	}, simagent.Deps{AWS: cp.RootConfig(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = fleet.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, "both simulated instances connected", func() bool { return fleet.Stats().Connected == 2 })

	b := newTab(t, cp.URL)
	b.signIn("", rootPassword(t, cp))
	b.open("/console/ecs/clusters/default?tab=instances")
	b.wantText("#instances", "connected", "2048 / 2048", "3800 / 3800 MiB")
	b.shot("cluster-instances")

	// Register a task definition from JSON; an unknown field is refused.
	b.open("/console/ecs/task-definitions/register")
	b.do("bad JSON", chromedp.SetValue(chromedp.ID("document"), `{"family":"web","containerDefinition":[]}`))
	b.submit("register-submit")
	b.wantText(".alert", "unknown field", "containerDefinition")
	b.do("task definition", chromedp.SetValue(chromedp.ID("document"), webTaskDef))
	b.submit("register-submit")
	b.wantText(".flash", "Registered web:1")
	b.wantText("#taskdef-json", `"containerPort": 8080`, `"awslogs-group": "/ecs/web"`, `"taskDefinitionArn"`)
	b.shot("taskdef-registered")

	// A service and a task, started with the SDK, appear; the tasks tab
	// offers a reload when a task starts while it is open.
	if _, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("default"), ServiceName: aws.String("web-svc"),
		TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the service's task running", func() bool {
		out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("default"), Services: []string{"web-svc"}})
		return err == nil && len(out.Services) == 1 && out.Services[0].RunningCount == 1
	})
	b.open("/console/ecs/clusters/default?tab=tasks")
	b.wantText("#tasks", "RUNNING", "web:1")
	run, err := api.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("default"), TaskDefinition: aws.String("web"), StartedBy: aws.String("console-test")})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %+v %v", run, err)
	}
	taskID := lastPart(aws.ToString(run.Tasks[0].TaskArn))
	b.do("live note", chromedp.WaitVisible(chromedp.CSS(".live-note")))
	b.wantText(`[data-field="cluster.default.running"]`, "2")
	b.shot("cluster-tasks-live")

	b.open("/console/ecs/clusters/default/services/web-svc")
	b.wantText("main", "web-svc", "web:1")
	b.wantText(`[data-field="svc.web-svc.running"]`, "1")
	b.shot("service")

	b.open("/console/ecs/clusters/default/tasks/" + taskID)
	b.wantText("#containers", "RUNNING", "8080")
	b.shot("task-running")
	b.do("accept the confirmation", void(chromedp.Evaluate[bool](`window.confirm = () => true; true`)))
	b.submit("stop-task")
	b.wantText(".flash", "is stopping")
	b.do("stopped with its exit code", void(chromedp.Poll[bool](`document.querySelector('[data-field$=".exit"]').textContent === "143"`, chromedp.WithPollingTimeout(15*time.Second))))
	b.wantText(`[data-field="task.`+taskID+`.last"]`, "STOPPED")
	b.shot("task-stopped")

	// The logs page reads the Logs service, as the signed-in user: the
	// simulated agent ships nothing, so write the container's stream here
	// as an agent would.
	logsAPI := cloudwatchlogs.NewFromConfig(cp.RootConfig())
	stream := "ecs/web/" + taskID
	if _, err := logsAPI.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := logsAPI.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	if _, err := logsAPI.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String(stream),
		LogEvents: []logstypes.InputLogEvent{{Timestamp: aws.Int64(time.Now().UnixMilli()), Message: aws.String("listening on :8080")}}}); err != nil {
		t.Fatal(err)
	}
	b.open("/console/ecs/clusters/default/tasks/" + taskID + "/logs/web")
	b.wantText("main", "/ecs/web", stream, "listening on :8080")
	b.shot("task-logs")
}

// void drops an action's value.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

func lastPart(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	poll.Until(t, 20*time.Second, what, ok)
}
