// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/docker"
)

// chatterSrc prints five numbered lines on stdout and on stderr, waits
// for SIGTERM, and prints one last line as it exits.
const chatterSrc = `package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	for i := 1; i <= 5; i++ {
		fmt.Printf("out %d\n", i)
		fmt.Fprintf(os.Stderr, "err %d\n", i)
	}
	<-sig
	fmt.Println("bye after SIGTERM")
}
`

// chatterImage builds a FROM-scratch image of chatterSrc (nothing is
// pulled) and returns its tag.
func chatterImage(t *testing.T, eng *docker.Engine) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module chatter\n\ngo 1.22\n", "main.go": chatterSrc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return agenttest.ScratchImage(t, eng, "chatter", dir, "GOWORK=off", "GOFLAGS=-mod=mod")
}

// TestAgent_AwslogsShipping runs a task with the awslogs driver: the agent
// gives Docker json-file and ships the container's output itself, with the
// instance role (AmazonEC2ContainerServiceforEC2Role grants
// logs:CreateLogStream and logs:PutLogEvents), to the stream
// prefix/container/task-id, where `aws logs get-log-events` (and `aws logs
// tail` of the AWS CLI v2, when installed at /usr/bin/aws) returns the
// lines; after a kill -9 and restart of the agent nothing is shipped
// twice; and when the container exits while the agent is down (killed -9
// again), the restarted agent ships the line it wrote after SIGTERM, once,
// and nothing twice.
func TestAgent_AwslogsShipping(t *testing.T) {
	eng := agenttest.Docker(t)
	e := newLoopbackEnv(t)
	cli := e.rootCLI(t)
	ctx := context.Background()
	image := chatterImage(t, eng)
	cli.must(nil, "logs", "create-log-group", "--log-group-name", "/ecs/chatter")
	_, err := e.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("chatter"),
		NetworkMode: ecstypes.NetworkModeBridge, ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64), Essential: aws.Bool(true),
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/chatter", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := e.start(t, "--log-level", "debug")
	a.waitLog(t, 60*time.Second, "connected to ACS")

	arn := runTask(t, e.ecs, "chatter")
	task := waitTask(t, e.ecs, arn, "RUNNING", 120*time.Second)
	id := aws.ToString(task.Containers[0].RuntimeId)
	removeContainer(t, eng, id)
	ins, err := eng.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if lt := ins.HostConfig.LogConfig.Type; lt != "json-file" {
		t.Errorf("Docker log driver %q, want json-file (the agent ships awslogs output itself)", lt)
	}
	stream := "web/app/" + arn[strings.LastIndex(arn, "/")+1:]

	// getEvents returns the stream's messages (none while it does not exist).
	getEvents := func() []string {
		var out struct{ Events []struct{ Message string } }
		stdout, stderr, ok := cli.run("logs", "get-log-events", "--log-group-name", "/ecs/chatter", "--log-stream-name", stream, "--start-from-head")
		if !ok {
			t.Logf("aws logs get-log-events: %s%s", stdout, stderr)
			return nil
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("aws logs get-log-events: %v in %q", err, stdout)
		}
		var msgs []string
		for _, ev := range out.Events {
			msgs = append(msgs, ev.Message)
		}
		return msgs
	}
	waitEvents := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			if msgs := getEvents(); len(msgs) >= n {
				return msgs
			}
			if time.Now().After(deadline) {
				t.Fatalf("stream %s does not hold %d events after 60s; agent log:\n%s", stream, n, a.logText())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	msgs := waitEvents(10)
	var outs, errs []string
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m, "out "):
			outs = append(outs, m)
		case strings.HasPrefix(m, "err "):
			errs = append(errs, m)
		}
	}
	want := func(p string) []string {
		return []string{p + " 1", p + " 2", p + " 3", p + " 4", p + " 5"}
	}
	if !slices.Equal(outs, want("out")) || !slices.Equal(errs, want("err")) || len(msgs) != 10 {
		t.Fatalf("get-log-events returned %q, want stdout's and stderr's five lines each, in order, once", msgs)
	}

	// kill -9 of the agent: the restarted agent reattaches the container
	// and resumes after the saved position, so nothing is shipped twice.
	a.signal(syscall.SIGKILL)
	a = e.start(t, "--log-level", "debug")
	a.waitLog(t, 60*time.Second, "connected to ACS", "task restored")

	// kill -9 again, and the container exits while no agent runs, writing
	// its last line then. The restarted agent finds it exited, stops the
	// task (its essential container exited) and ships that line from the
	// saved position before the container can be removed.
	a.signal(syscall.SIGKILL)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = eng.ContainerStop(sctx, id, 30*time.Second) // SIGTERM: chatter says bye and exits
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	a = e.start(t, "--log-level", "debug")
	a.waitLog(t, 60*time.Second, "connected to ACS", "task restored")
	waitTask(t, e.ecs, arn, "STOPPED", 60*time.Second)
	a.waitLog(t, 60*time.Second, "container output shipped") // the exited container's output is all shipped
	if msgs = getEvents(); len(msgs) != 11 || msgs[10] != "bye after SIGTERM" {
		t.Errorf("after the container exited while the agent was down: %q, want the ten lines once and then the last line", msgs)
	}

	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Log("AWS CLI v2 not at /usr/bin/aws: aws logs tail not checked")
		return
	}
	v2 := *cli
	cmd := exec.Command("/usr/bin/aws", "--endpoint-url", e.cp.URL, "logs", "tail", "/ecs/chatter", "--since", "1h", "--log-stream-names", stream)
	cmd.Env = append(os.Environ(), v2.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws logs tail (v2): %v\n%s", err, out)
	}
	for _, w := range []string{"out 1", "err 5", "bye after SIGTERM"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("aws logs tail output lacks %q:\n%s", w, out)
		}
	}
}
