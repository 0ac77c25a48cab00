// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/scheduler/schedtest"
)

// benchCluster is 5,000 instances over three zones, a fifth of them partly
// used and running tasks of the benchmark's group.
func benchCluster() *schedtest.Harness {
	h := schedtest.New("default")
	h.Add(5000, zones3, schedtest.Each(func(in *scheduler.Instance, i int) {
		if i%5 == 0 {
			in.RemainingCPU -= 512 * (i % 3)
			in.RemainingMemory -= 1024 * (i % 4)
			in.Groups["family:app"] = 1 + i%3
			in.RunningTasksCount = 1 + i%3
			in.UsedPorts = in.UsedPorts.With(49153, 49154)
		}
	}))
	return h
}

func benchPlace(b *testing.B, constraints []scheduler.Constraint, strategies ...scheduler.Strategy) {
	h := benchCluster()
	req := &scheduler.Request{
		Cluster: "default", Count: 10, CPU: 256, Memory: 512, Family: "app",
		PortMappings: []scheduler.PortMapping{{ContainerName: "web", ContainerPort: 8080}},
		Constraints:  constraints,
		Strategies:   strategies,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	var cpu0 time.Duration
	for b.Loop() {
		if cpu0 == 0 {
			cpu0 = cpuTime()
		}
		ps, _, err := scheduler.Place(h, req, rng)
		if err != nil || len(ps) != 10 {
			b.Fatalf("placed %d: %v", len(ps), err)
		}
	}
	b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "placements/s")
	// CPU time (this process, GC included) per op: on a busy shared
	// machine wall time per op can be several times the work done.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkPlace_5000Instances_Binpack(b *testing.B) {
	benchPlace(b, nil, binpackMemory)
}

func BenchmarkPlace_5000Instances_Spread(b *testing.B) {
	benchPlace(b, nil, spreadAZ, spreadHost)
}

func BenchmarkPlace_5000Instances_Random(b *testing.B) {
	benchPlace(b, nil, random)
}

func BenchmarkPlace_5000Instances_SpreadMemberOfDistinct(b *testing.B) {
	benchPlace(b, []scheduler.Constraint{
		{Type: scheduler.ConstraintMemberOf, Expression: "attribute:ecs.instance-type =~ m5.* and runningTasksCount < 3"},
		{Type: scheduler.ConstraintDistinctInstance},
	}, spreadAZ, binpackMemory)
}

func BenchmarkParseQuery_Cached(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scheduler.ParseQuery("attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d"); err != nil {
			b.Fatal(err)
		}
	}
}
