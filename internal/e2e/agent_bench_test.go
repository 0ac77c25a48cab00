// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// BenchmarkAgent_RunTask measures, on a cached image, RunTask to the
// task's container RUNNING in DescribeTasks (the agent's state change
// submitted) against a plain `docker run -d` of the same image and
// command, 20 of each, and reports both medians and their difference
// (DESIGN.md's target: under 150 ms above docker run).
//
//	go test ./internal/e2e/ -run '^$' -bench Agent_RunTask -benchtime 1x
func BenchmarkAgent_RunTask(b *testing.B) {
	const n = 20
	e, d := newAgentEnv(b)
	a := e.start(b, "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached")
	a.waitLog(b, 30*time.Second, "connected to ACS")
	e.registerTaskDef(b, "bench", d.probe, "", "serve", "-addr", ":8080")
	ctx := context.Background()
	for range b.N {
		var agentTimes, dockerTimes []time.Duration
		var arns []string
		for range n {
			start := time.Now()
			arn := runTask(b, e.ecs, "bench")
			task := waitTask(b, e.ecs, arn, "RUNNING", time.Minute)
			agentTimes = append(agentTimes, time.Since(start))
			arns = append(arns, arn)
			removeContainer(b, agenttestEngine(b), aws.ToString(task.Containers[0].RuntimeId))
		}
		for range n {
			start := time.Now()
			out, err := exec.Command("docker", "run", "-d", "--label", "dev.berth.test=true", d.probe, "serve", "-addr", ":8080").Output()
			if err != nil {
				b.Fatalf("docker run: %v", err)
			}
			dockerTimes = append(dockerTimes, time.Since(start))
			removeContainer(b, agenttestEngine(b), strings.TrimSpace(string(out)))
		}
		for _, arn := range arns {
			_, _ = e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("default"), Task: aws.String(arn)})
		}
		ma, md := median(agentTimes), median(dockerTimes)
		b.ReportMetric(float64(ma.Microseconds())/1000, "runtask-median-ms")
		b.ReportMetric(float64(md.Microseconds())/1000, "docker-run-median-ms")
		b.ReportMetric(float64((ma-md).Microseconds())/1000, "overhead-ms")
		b.Logf("RunTask→RUNNING median %s, docker run median %s, difference %s (n=%d each)", ma, md, ma-md, n)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
