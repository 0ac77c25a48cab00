// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/agent/agenttest"
)

// BenchmarkAgent_RunTask measures, on a cached image, RunTask to the
// task's container RUNNING in DescribeTasks (the agent's state change
// submitted) against a plain `docker run -d` of the same image and
// command, 20 of each, and reports both medians and their difference
// (DESIGN.md's target: under 150 ms above docker run).
//
// The task publishes its port 8080 on a dynamic host port, which costs
// Docker a userland proxy and NAT rules at start; so it also measures
// `docker run -d -p 8080` (the same container as the task's) and reports
// the difference to that as overhead-same-ports-ms. The three kinds of
// run are interleaved, so a change in the machine's load during the
// benchmark weighs on all of them alike.
//
// From the agent's log (millisecond stamps) it splits the RunTask time
// into: delivery (RunTask sent → the agent has the task over ACS), docker
// (→ the agent saw its container running: image check, create, start,
// inspect, hooks) and report (→ DescribeTasks shows RUNNING: the state
// change submitted and the 10 ms DescribeTasks polling).
//
//	go test ./internal/e2e/ -run '^$' -bench Agent_RunTask -benchtime 1x
func BenchmarkAgent_RunTask(b *testing.B) {
	const n = 20
	e, d := newAgentEnv(b)
	eng := agenttest.Docker(b)
	a := e.start(b, "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached")
	a.waitLog(b, 30*time.Second, "connected to ACS")
	e.registerTaskDef(b, "bench", d.probe, "", "serve", "-addr", ":8080")
	ctx := context.Background()
	dockerRun := func(extra ...string) time.Duration {
		args := append(append([]string{"run", "-d", "--label", "dev.berth.test=true"}, extra...), d.probe, "serve", "-addr", ":8080")
		start := time.Now()
		out, err := exec.Command("docker", args...).Output()
		if err != nil {
			b.Fatalf("docker %v: %v", args, err)
		}
		took := time.Since(start)
		removeContainer(b, eng, strings.TrimSpace(string(out)))
		return took
	}
	for range b.N {
		var agentTimes, dockerTimes, portTimes, delivery, dockerPhase, report []time.Duration
		var arns []string
		for range n {
			start := time.Now()
			arn := runTask(b, e.ecs, "bench")
			task := waitTask(b, e.ecs, arn, "RUNNING", time.Minute)
			seen := time.Now()
			agentTimes = append(agentTimes, seen.Sub(start))
			arns = append(arns, arn)
			removeContainer(b, eng, aws.ToString(task.Containers[0].RuntimeId))
			if recv, run, ok := agentMarks(a.logText(), arn); ok {
				delivery = append(delivery, recv.Sub(start))
				dockerPhase = append(dockerPhase, run.Sub(recv))
				report = append(report, seen.Sub(run))
			}
			dockerTimes = append(dockerTimes, dockerRun())
			portTimes = append(portTimes, dockerRun("-p", "8080"))
		}
		for _, arn := range arns {
			_, _ = e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("default"), Task: aws.String(arn)})
		}
		ma, md, mp := median(agentTimes), median(dockerTimes), median(portTimes)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(ma), "runtask-median-ms")
		b.ReportMetric(ms(md), "docker-run-median-ms")
		b.ReportMetric(ms(mp), "docker-run-p-median-ms")
		b.ReportMetric(ms(ma-md), "overhead-ms")
		b.ReportMetric(ms(ma-mp), "overhead-same-ports-ms")
		if len(delivery) > 0 {
			b.ReportMetric(ms(median(delivery)), "delivery-median-ms")
			b.ReportMetric(ms(median(dockerPhase)), "docker-phase-median-ms")
			b.ReportMetric(ms(median(report)), "report-median-ms")
		}
		b.Logf("RunTask→RUNNING median %s; docker run median %s (difference %s); docker run -p 8080 median %s (difference %s); n=%d each",
			ma, md, ma-md, mp, ma-mp, n)
		b.Logf("RunTask phases (medians of %d): delivery %s, docker %s, report %s", len(delivery), median(delivery), median(dockerPhase), median(report))
	}
}

var agentLogLine = regexp.MustCompile(`^time=(\S+) .*msg="(task received|container running)"`)

// agentMarks returns when the agent logged receiving task arn and seeing
// its container running.
func agentMarks(log, arn string) (received, running time.Time, ok bool) {
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, arn) {
			continue
		}
		m := agentLogLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			continue
		}
		if m[2] == "task received" && received.IsZero() {
			received = t
		} else if m[2] == "container running" && running.IsZero() {
			running = t
		}
	}
	return received, running, !received.IsZero() && !running.IsZero()
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
