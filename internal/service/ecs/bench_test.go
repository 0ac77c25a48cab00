// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store/storetest"
)

// TestService_PlacementThroughput measures RunTask placements per second
// on a large cluster (BERTH_ECS_BENCH=instances,tasks, e.g. 5000,100000):
// every task is committed with its instance's compare-and-swap and
// reported RUNNING, as sim-agents would. It is skipped unless asked for.
func TestService_PlacementThroughput(t *testing.T) {
	spec := os.Getenv("BERTH_ECS_BENCH")
	if spec == "" {
		t.Skip("set BERTH_ECS_BENCH=instances,tasks to measure placement throughput")
	}
	var nInst, nTasks int
	if _, err := fmt.Sscanf(spec, "%d,%d", &nInst, &nTasks); err != nil {
		t.Fatal(err)
	}
	workers, _ := strconv.Atoi(os.Getenv("BERTH_ECS_BENCH_WORKERS"))
	if workers == 0 {
		workers = 32
	}
	st := storetest.New(t)
	s, err := New(Config{Region: testRegion, AccountID: testAccount}, Deps{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := principal.NewContext(context.Background(), &principal.Principal{Kind: principal.Root, ARN: "arn:aws:iam::123456789012:root"})
	rctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(rctx)
	if _, err := s.CreateCluster(ctx, &ecsapi.CreateClusterInput{ClusterName: ptr("big")}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(nInst) {
				out, err := s.RegisterContainerInstance(ctx, &ecsapi.RegisterContainerInstanceInput{Cluster: ptr("big"),
					TotalResources: []ecsapi.Resource{
						{Name: ptr("CPU"), Type: ptr("INTEGER"), IntegerValue: ptr(int32(4096))},
						{Name: ptr("MEMORY"), Type: ptr("INTEGER"), IntegerValue: ptr(int32(16384))},
						{Name: ptr("PORTS"), Type: ptr("STRINGSET"), StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
					}})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ConnectAgent(ctx, "big", *out.ContainerInstance.ContainerInstanceArn); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("registered %d instances in %v", nInst, time.Since(start))
	if _, err := s.RegisterTaskDefinition(ctx, &ecsapi.RegisterTaskDefinitionInput{Family: ptr("w"),
		ContainerDefinitions: []ecsapi.ContainerDefinition{{Name: ptr("c"), Image: ptr("i"), Cpu: ptr(int32(64)), Memory: ptr(int32(128)),
			PortMappings: []ecsapi.PortMapping{{ContainerPort: ptr(int32(80))}}}}}); err != nil {
		t.Fatal(err)
	}
	var placed, calls, fails atomic.Int64
	start = time.Now()
	for range workers {
		wg.Go(func() {
			for placed.Load() < int64(nTasks) {
				out, err := s.RunTask(ctx, &ecsapi.RunTaskInput{Cluster: ptr("big"), TaskDefinition: ptr("w"), Count: ptr(int32(10))})
				if err != nil {
					t.Error(err)
					return
				}
				calls.Add(1)
				placed.Add(int64(len(out.Tasks)))
				fails.Add(int64(len(out.Failures)))
				if os.Getenv("BERTH_ECS_BENCH_NOREPORT") != "" {
					continue
				}
				for _, task := range out.Tasks {
					if _, err := s.SubmitTaskStateChange(ctx, &ecsapi.SubmitTaskStateChangeInput{Cluster: ptr("big"),
						Task: task.TaskArn, Status: ptr("RUNNING")}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	t.Logf("placed %d tasks (%d RunTask calls, %d failures) and reported them RUNNING in %v: %.0f placements/s",
		placed.Load(), calls.Load(), fails.Load(), d, float64(placed.Load())/d.Seconds())
	// Hot reads at this scale.
	for _, probe := range []struct {
		name string
		fn   func() error
	}{
		{"ListTasks page", func() error {
			_, err := s.ListTasks(ctx, &ecsapi.ListTasksInput{Cluster: ptr("big"), MaxResults: ptr(int32(100))})
			return err
		}},
		{"DescribeClusters", func() error {
			_, err := s.DescribeClusters(ctx, &ecsapi.DescribeClustersInput{Clusters: []string{"big"}})
			return err
		}},
	} {
		t0 := time.Now()
		const n = 20
		for range n {
			if err := probe.fn(); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: %v per call", probe.name, time.Since(t0)/n)
	}
}
