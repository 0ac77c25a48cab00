// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	agentacs "github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/logkey"
)

// taskLister lists the tasks the runner knows (taskrunner.Runner).
type taskLister interface {
	Snapshots() []taskrunner.StateChange
}

// taskLookup describes a task as its metadata endpoint does (family,
// revision, container health): creds.Registry.
type taskLookup interface {
	Task(arn string) (creds.TaskMetadata, bool)
}

// metrics is the telemetry session's source: it samples the Docker stats
// of every running task container every interval and, at each
// publication, summarises the samples since the last one as the ECS agent
// does:
//
//   - cpuStatsSet: CPU utilisation in percent of the instance (all cores
//     = 100), from the growth of cpu_stats.cpu_usage.total_usage between
//     consecutive samples over the time between their "read" stamps;
//   - memoryStatsSet: memory in MiB, usage minus the inactive file cache
//     (inactive_file on cgroup v2, total_inactive_file on v1), as
//     docker stats shows it.
//
// Health is the Docker health status of containers that have a health
// check: HEALTHY, UNHEALTHY, or UNKNOWN while it is starting.
type metrics struct {
	tasks    taskLister
	meta     taskLookup
	stats    docker.StatsReader
	numCPU   int
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu     sync.Mutex
	last   map[string]cpuSample    // docker id → previous sample
	sets   map[string]*statsWindow // docker id → samples since the last publication
	health map[string]healthSince  // task ARN + "/" + container → status
}

var (
	_ agentacs.MetricsSource = (*metrics)(nil)
	_ agentacs.HealthSource  = (*metrics)(nil)
)

type cpuSample struct {
	total uint64    // cpu_usage.total_usage, ns
	read  time.Time // when Docker read it
}

type statsWindow struct {
	cpu, mem wire.CWStatsSet
}

type healthSince struct {
	status string
	since  time.Time
}

func newMetrics(tasks taskLister, meta taskLookup, stats docker.StatsReader, interval time.Duration, log *slog.Logger) *metrics {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return &metrics{tasks: tasks, meta: meta, stats: stats, numCPU: runtime.NumCPU(), interval: interval, now: time.Now,
		log: log, last: map[string]cpuSample{}, sets: map[string]*statsWindow{}, health: map[string]healthSince{}}
}

// run samples every interval until ctx ends.
func (m *metrics) run(ctx context.Context) {
	if m.stats == nil {
		return
	}
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		m.sample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// running returns the running containers' docker ids, by task.
func (m *metrics) running() map[string][]taskrunner.ContainerChange {
	out := map[string][]taskrunner.ContainerChange{}
	for _, s := range m.tasks.Snapshots() {
		if s.Status != taskrunner.StatusRunning {
			continue
		}
		for _, c := range s.Containers {
			if c.Status == taskrunner.StatusRunning && c.RuntimeID != "" {
				out[s.TaskARN] = append(out[s.TaskARN], c)
			}
		}
	}
	return out
}

// sample reads every running container's stats once.
func (m *metrics) sample(ctx context.Context) {
	live := map[string]bool{}
	for _, cs := range m.running() {
		for _, c := range cs {
			live[c.RuntimeID] = true
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			raw, err := m.stats.ContainerStats(sctx, c.RuntimeID)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					m.log.Debug("container stats", logkey.Err, err)
				}
				continue
			}
			m.add(c.RuntimeID, raw)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.last {
		if !live[id] {
			delete(m.last, id)
			delete(m.sets, id)
		}
	}
}

// dockerStats is the part of the Engine's stats JSON the metrics use.
type dockerStats struct {
	Read     time.Time `json:"read"`
	CPUStats struct {
		CPUUsage struct {
			TotalUsage uint64 `json:"total_usage"`
		} `json:"cpu_usage"`
	} `json:"cpu_stats"`
	MemoryStats struct {
		Usage uint64            `json:"usage"`
		Stats map[string]uint64 `json:"stats"`
	} `json:"memory_stats"`
}

// add records one stats sample of a container.
func (m *metrics) add(id string, raw []byte) {
	var s dockerStats
	if err := json.Unmarshal(raw, &s); err != nil {
		m.log.Debug("container stats: not JSON", logkey.Err, err)
		return
	}
	if s.Read.IsZero() {
		s.Read = m.now()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.sets[id]
	if w == nil {
		w = &statsWindow{}
		m.sets[id] = w
	}
	addSample(&w.mem, float64(memoryUsage(s.MemoryStats.Usage, s.MemoryStats.Stats))/(1<<20))
	cur := cpuSample{total: s.CPUStats.CPUUsage.TotalUsage, read: s.Read}
	if prev, ok := m.last[id]; ok && cur.read.After(prev.read) && cur.total >= prev.total {
		elapsed := float64(cur.read.Sub(prev.read).Nanoseconds())
		addSample(&w.cpu, float64(cur.total-prev.total)/elapsed*100/float64(max(m.numCPU, 1)))
	}
	m.last[id] = cur
}

// memoryUsage is usage minus the inactive file cache, as docker stats
// computes it.
func memoryUsage(usage uint64, stats map[string]uint64) uint64 {
	for _, k := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := stats[k]; ok && v < usage {
			return usage - v
		}
	}
	return usage
}

func addSample(s *wire.CWStatsSet, v float64) {
	if s.SampleCount == 0 || v < s.Min {
		s.Min = v
	}
	if s.SampleCount == 0 || v > s.Max {
		s.Max = v
	}
	s.Sum += v
	s.SampleCount++
}

// TaskMetrics implements agentacs.MetricsSource: the summaries of the
// samples since the last call, per running task and container. A
// container with no sample yet is left out; no task at all means idle.
func (m *metrics) TaskMetrics(context.Context) []wire.TaskMetric {
	running := m.running()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []wire.TaskMetric
	for _, arn := range sortedTasks(running) {
		tm := wire.TaskMetric{TaskARN: arn}
		if md, ok := m.meta.Task(arn); ok {
			tm.TaskDefinitionFamily, tm.TaskDefinitionVersion = md.Family, md.Revision
		}
		for _, c := range running[arn] {
			w := m.sets[c.RuntimeID]
			if w == nil || w.mem.SampleCount == 0 {
				continue
			}
			cm := wire.ContainerMetric{ContainerName: c.Name}
			mem := w.mem
			cm.MemoryStatsSet = &mem
			if w.cpu.SampleCount > 0 {
				cpu := w.cpu
				cm.CPUStatsSet = &cpu
			}
			tm.ContainerMetrics = append(tm.ContainerMetrics, cm)
			delete(m.sets, c.RuntimeID)
		}
		if len(tm.ContainerMetrics) > 0 {
			out = append(out, tm)
		}
	}
	return out
}

// TaskHealth implements agentacs.HealthSource: the health of every
// running container that has a health check.
func (m *metrics) TaskHealth(context.Context) []wire.TaskHealth {
	running := m.running()
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	var out []wire.TaskHealth
	for _, arn := range sortedTasks(running) {
		md, ok := m.meta.Task(arn)
		if !ok {
			continue
		}
		th := wire.TaskHealth{TaskARN: arn, TaskDefinitionFamily: md.Family, TaskDefinitionVersion: md.Revision}
		for _, c := range md.Containers {
			if c.Health == nil || c.Health.Status == "" || c.KnownStatus != taskrunner.StatusRunning {
				continue
			}
			key := arn + "/" + c.Name
			seen[key] = true
			st := ecsHealth(c.Health.Status)
			h, ok := m.health[key]
			if !ok || h.status != st {
				h = healthSince{status: st, since: now}
				m.health[key] = h
			}
			th.Containers = append(th.Containers, wire.ContainerHealth{ContainerName: c.Name, HealthStatus: st,
				StatusSince: float64(h.since.UnixNano()) / 1e9})
		}
		if len(th.Containers) > 0 {
			out = append(out, th)
		}
	}
	for k := range m.health {
		if !seen[k] {
			delete(m.health, k)
		}
	}
	if out == nil {
		out = []wire.TaskHealth{}
	}
	return out
}

// ecsHealth maps Docker's health status to ECS's.
func ecsHealth(docker string) string {
	switch strings.ToLower(docker) {
	case "healthy":
		return "HEALTHY"
	case "unhealthy":
		return "UNHEALTHY"
	}
	return "UNKNOWN"
}

func sortedTasks(m map[string][]taskrunner.ContainerChange) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
