// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/acs/wire"
	agentacs "github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/taskrunner"
)

var quiet = slog.New(slog.DiscardHandler)

type fakeTasks struct {
	mu    sync.Mutex
	snaps []taskrunner.StateChange
	meta  map[string]creds.TaskMetadata
}

func (f *fakeTasks) Snapshots() []taskrunner.StateChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]taskrunner.StateChange(nil), f.snaps...)
}

func (f *fakeTasks) Task(arn string) (creds.TaskMetadata, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.meta[arn]
	return m, ok
}

// scriptedStats answers ContainerStats from a queue per container.
type scriptedStats struct {
	mu  sync.Mutex
	q   map[string][]string
	err map[string]error
}

func (s *scriptedStats) ContainerStats(_ context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.err[id]; err != nil {
		return nil, err
	}
	if len(s.q[id]) == 0 {
		return nil, errors.New("no more stats")
	}
	b := s.q[id][0]
	s.q[id] = s.q[id][1:]
	return []byte(b), nil
}

func statsJSON(read time.Time, cpuNS, usage, inactive uint64) string {
	return fmt.Sprintf(`{"read":%q,"cpu_stats":{"cpu_usage":{"total_usage":%d}},"memory_stats":{"usage":%d,"stats":{"inactive_file":%d}}}`,
		read.Format(time.RFC3339Nano), cpuNS, usage, inactive)
}

const (
	arnA = "arn:aws:ecs:us-east-1:000000000000:task/default/aaaa"
	arnB = "arn:aws:ecs:us-east-1:000000000000:task/default/bbbb"
)

func TestMetrics_CPUAndMemoryStatsSets(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	const mib = 1 << 20
	tasks := &fakeTasks{
		snaps: []taskrunner.StateChange{
			{TaskARN: arnA, Status: "RUNNING", Containers: []taskrunner.ContainerChange{
				{Name: "web", RuntimeID: "d-web", Status: "RUNNING"},
				{Name: "init", RuntimeID: "d-init", Status: "STOPPED"},
			}},
			{TaskARN: arnB, Status: "PENDING", Containers: []taskrunner.ContainerChange{{Name: "x", RuntimeID: "d-x", Status: "PENDING"}}},
		},
		meta: map[string]creds.TaskMetadata{arnA: {TaskARN: arnA, Family: "web", Revision: "3"}},
	}
	// 2 CPUs; web uses 0.5 s, then 1.5 s, of CPU time per 1 s: 25 % and 75 %
	// of the instance. Memory 100, 120, 110 MiB after 10 MiB inactive files.
	st := &scriptedStats{q: map[string][]string{"d-web": {
		statsJSON(t0, 1e9, 110*mib, 10*mib),
		statsJSON(t0.Add(time.Second), 1.5e9, 130*mib, 10*mib),
		statsJSON(t0.Add(2*time.Second), 3e9, 120*mib, 10*mib),
	}}}
	m := newMetrics(tasks, tasks, st, time.Second, quiet)
	m.numCPU = 2
	ctx := context.Background()
	if got := m.TaskMetrics(ctx); len(got) != 0 {
		t.Fatalf("before any sample: %+v, want none (idle)", got)
	}
	for range 3 {
		m.sample(ctx)
	}
	got := m.TaskMetrics(ctx)
	want := []wire.TaskMetric{{TaskARN: arnA, TaskDefinitionFamily: "web", TaskDefinitionVersion: "3",
		ContainerMetrics: []wire.ContainerMetric{{ContainerName: "web",
			CPUStatsSet:    &wire.CWStatsSet{Min: 25, Max: 75, SampleCount: 2, Sum: 100},
			MemoryStatsSet: &wire.CWStatsSet{Min: 100, Max: 120, SampleCount: 3, Sum: 330}}}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TaskMetrics (-want +got):\n%s", d)
	}
	// The window restarts at each publication; the CPU baseline is kept.
	st.q["d-web"] = []string{statsJSON(t0.Add(3*time.Second), 3.2e9, 60*mib, 0)}
	m.sample(ctx)
	got = m.TaskMetrics(ctx)
	want[0].ContainerMetrics[0].CPUStatsSet = &wire.CWStatsSet{Min: 10, Max: 10, SampleCount: 1, Sum: 10}
	want[0].ContainerMetrics[0].MemoryStatsSet = &wire.CWStatsSet{Min: 60, Max: 60, SampleCount: 1, Sum: 60}
	if d := cmp.Diff(want, got, cmpApprox); d != "" {
		t.Errorf("second TaskMetrics (-want +got):\n%s", d)
	}
	if got := m.TaskMetrics(ctx); len(got) != 0 {
		t.Errorf("no samples since the last publication: %+v, want none", got)
	}
	// A container that stopped is forgotten.
	tasks.snaps = nil
	m.sample(ctx)
	if len(m.last) != 0 || len(m.sets) != 0 {
		t.Errorf("state kept for stopped containers: %v %v", m.last, m.sets)
	}
}

var cmpApprox = cmp.Comparer(func(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 })

// Stats that fail or are not JSON leave the container out; the others are
// still reported.
func TestMetrics_BadStatsSkipped(t *testing.T) {
	tasks := &fakeTasks{snaps: []taskrunner.StateChange{{TaskARN: arnA, Status: "RUNNING", Containers: []taskrunner.ContainerChange{
		{Name: "a", RuntimeID: "d-a", Status: "RUNNING"}, {Name: "b", RuntimeID: "d-b", Status: "RUNNING"}, {Name: "c", RuntimeID: "d-c", Status: "RUNNING"}}}}}
	st := &scriptedStats{q: map[string][]string{"d-b": {"not json"}, "d-c": {statsJSON(time.Now(), 1, 1<<20, 0)}},
		err: map[string]error{"d-a": errors.New("daemon gone")}}
	m := newMetrics(tasks, tasks, st, time.Second, quiet)
	m.sample(context.Background())
	got := m.TaskMetrics(context.Background())
	if len(got) != 1 || len(got[0].ContainerMetrics) != 1 || got[0].ContainerMetrics[0].ContainerName != "c" {
		t.Fatalf("TaskMetrics = %+v, want only container c", got)
	}
	if got[0].ContainerMetrics[0].CPUStatsSet != nil {
		t.Errorf("CPU from a single sample: %+v, want none", got[0].ContainerMetrics[0].CPUStatsSet)
	}
}

func TestMetrics_Health(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tasks := &fakeTasks{
		snaps: []taskrunner.StateChange{{TaskARN: arnA, Status: "RUNNING", Containers: []taskrunner.ContainerChange{
			{Name: "web", RuntimeID: "d-web", Status: "RUNNING"}, {Name: "side", RuntimeID: "d-side", Status: "RUNNING"}, {Name: "plain", RuntimeID: "d-plain", Status: "RUNNING"}}}},
		meta: map[string]creds.TaskMetadata{arnA: {TaskARN: arnA, Family: "web", Revision: "3", Containers: []creds.ContainerMetadata{
			{Name: "web", KnownStatus: "RUNNING", Health: &creds.Health{Status: "starting"}},
			{Name: "side", KnownStatus: "RUNNING", Health: &creds.Health{Status: "unhealthy"}},
			{Name: "plain", KnownStatus: "RUNNING"},
		}}},
	}
	m := newMetrics(tasks, tasks, nil, time.Second, quiet)
	m.now = func() time.Time { return now }
	sec := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	want := []wire.TaskHealth{{TaskARN: arnA, TaskDefinitionFamily: "web", TaskDefinitionVersion: "3", Containers: []wire.ContainerHealth{
		{ContainerName: "web", HealthStatus: "UNKNOWN", StatusSince: sec(now)},
		{ContainerName: "side", HealthStatus: "UNHEALTHY", StatusSince: sec(now)}}}}
	if d := cmp.Diff(want, m.TaskHealth(context.Background())); d != "" {
		t.Errorf("TaskHealth (-want +got):\n%s", d)
	}
	// web turns healthy 30 s later: its statusSince moves, side's does not.
	later := now.Add(30 * time.Second)
	m.now = func() time.Time { return later }
	tasks.meta[arnA].Containers[0].Health.Status = "healthy"
	want[0].Containers[0] = wire.ContainerHealth{ContainerName: "web", HealthStatus: "HEALTHY", StatusSince: sec(later)}
	if d := cmp.Diff(want, m.TaskHealth(context.Background())); d != "" {
		t.Errorf("TaskHealth after the change (-want +got):\n%s", d)
	}
}

// TestMetrics_RealDocker samples a real container (the FROM-scratch probe
// image serving HTTP) through the Engine's one-shot stats: memory is
// reported, and CPU once two samples exist.
func TestMetrics_RealDocker(t *testing.T) {
	eng := agenttest.Docker(t)
	img := agenttest.ProbeImage(t, eng)
	id, _ := agenttest.RunContainer(t, eng, agenttest.RunSpec{Image: img, Args: []string{"serve", "-addr", ":8080"}})
	tasks := &fakeTasks{snaps: []taskrunner.StateChange{{TaskARN: arnA, Status: "RUNNING",
		Containers: []taskrunner.ContainerChange{{Name: "probe", RuntimeID: id, Status: "RUNNING"}}}}}
	m := newMetrics(tasks, tasks, eng, time.Second, quiet)
	ctx := context.Background()
	m.sample(ctx)
	time.Sleep(200 * time.Millisecond) // two samples must carry different read stamps
	m.sample(ctx)
	got := m.TaskMetrics(ctx)
	if len(got) != 1 || len(got[0].ContainerMetrics) != 1 {
		t.Fatalf("TaskMetrics = %+v, want the probe container", got)
	}
	cm := got[0].ContainerMetrics[0]
	if cm.MemoryStatsSet == nil || cm.MemoryStatsSet.SampleCount != 2 || cm.MemoryStatsSet.Min <= 0 || cm.MemoryStatsSet.Max > 1024 {
		t.Errorf("memory = %+v, want 2 samples of a few MiB", cm.MemoryStatsSet)
	}
	if cm.CPUStatsSet == nil || cm.CPUStatsSet.SampleCount != 1 || cm.CPUStatsSet.Min < 0 || cm.CPUStatsSet.Max > 100 {
		t.Errorf("cpu = %+v, want one sample between 0 and 100 %%", cm.CPUStatsSet)
	}
	t.Logf("memory %.2f MiB, cpu %.3f %%", cm.MemoryStatsSet.Max, cm.CPUStatsSet.Max)
}

// steadyStats is a container using half a CPU and 32 MiB: each call reads
// one second later.
type steadyStats struct {
	mu sync.Mutex
	t0 time.Time
	k  int
}

func (s *steadyStats) ContainerStats(context.Context, string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.k++
	return []byte(statsJSON(s.t0.Add(time.Duration(s.k)*time.Second), uint64(s.k)*5e8, 32<<20, 0)), nil
}

// TestMetrics_ThroughTCS publishes the source's metrics and health over a
// real TCS session (acstest's control plane): what the server keeps is
// the per-container statistic sets and health the source computed.
func TestMetrics_ThroughTCS(t *testing.T) {
	p := acstest.NewPlane(t, acstest.Options{})
	c := agentacs.NewClient(p.AWSConfig(""), agentacs.ClientConfig{Endpoint: p.URL, Cluster: "test", Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg, err := c.RegisterContainerInstance(ctx, agentacs.RegisterInput{CPU: 1024, MemoryMiB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	tasks := &fakeTasks{
		snaps: []taskrunner.StateChange{{TaskARN: arnA, Status: "RUNNING", Containers: []taskrunner.ContainerChange{{Name: "web", RuntimeID: "d-web", Status: "RUNNING"}}}},
		meta: map[string]creds.TaskMetadata{arnA: {TaskARN: arnA, Family: "web", Revision: "3",
			Containers: []creds.ContainerMetadata{{Name: "web", KnownStatus: "RUNNING", Health: &creds.Health{Status: "healthy"}}}}},
	}
	m := newMetrics(tasks, tasks, &steadyStats{t0: time.Now()}, 5*time.Millisecond, quiet)
	m.numCPU = 1
	go m.run(ctx)
	tel := agentacs.NewTelemetry(c, agentacs.TelemetryConfig{InstanceARN: reg.ContainerInstanceARN, PublishInterval: 30 * time.Millisecond}, m)
	go func() { _ = tel.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, ok := p.Server.Telemetry(reg.ContainerInstanceARN)
		if ok && got.Metrics != nil && len(got.Metrics.TaskMetrics) > 0 && got.Health != nil && len(got.Health.Tasks) > 0 {
			tm := got.Metrics.TaskMetrics
			if len(tm) != 1 || tm[0].TaskARN != arnA || tm[0].TaskDefinitionFamily != "web" || len(tm[0].ContainerMetrics) != 1 || got.Metrics.Metadata.Idle {
				t.Fatalf("metrics at TCS = %+v", got.Metrics)
			}
			cm := tm[0].ContainerMetrics[0]
			if cm.ContainerName != "web" || cm.CPUStatsSet == nil || cm.CPUStatsSet.Min != 50 || cm.CPUStatsSet.Max != 50 ||
				cm.MemoryStatsSet == nil || cm.MemoryStatsSet.Min != 32 || cm.MemoryStatsSet.Max != 32 || cm.MemoryStatsSet.SampleCount < 1 {
				t.Errorf("container metrics at TCS = cpu %+v memory %+v, want 50 %% and 32 MiB", cm.CPUStatsSet, cm.MemoryStatsSet)
			}
			if h := got.Health.Tasks[0]; h.TaskARN != arnA || len(h.Containers) != 1 || h.Containers[0].HealthStatus != "HEALTHY" {
				t.Errorf("health at TCS = %+v", got.Health.Tasks)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no task metrics and health at TCS after 30s: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
