// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/logkey"
)

// Task statuses as SubmitTaskStateChange reports them.
const (
	statusPending = "PENDING"
	statusRunning = "RUNNING"
	statusStopped = "STOPPED"
)

// instance is one simulated container instance: the agent's payload,
// credentials and manifest handler.
type instance struct {
	f   *Fleet
	arn string

	mu       sync.Mutex
	tasks    map[string]*simTask
	nextPort int32
}

// simTask is a task's simulated lifecycle. Its fields are guarded by the
// instance's mu; one state change is in flight at a time, so they arrive
// in order.
type simTask struct {
	arn        string
	containers []simContainer
	// reported is the last status the control plane acknowledged.
	reported   string
	submitting bool
	startDue   bool // StartDelay has passed
	started    bool // the start timer is set
	exited     bool // RunDuration has passed
	stopWanted bool // the control plane asked for a stop
	exitTimer  bool
}

type simContainer struct {
	name     string
	bindings []acs.NetworkBinding
}

var (
	_ acs.PayloadHandler     = (*instance)(nil)
	_ acs.CredentialsHandler = (*instance)(nil)
	_ acs.ManifestHandler    = (*instance)(nil)
	_ acs.MetricsSource      = (*instance)(nil)
)

func newInstance(f *Fleet, arn string) *instance {
	return &instance{f: f, arn: arn, tasks: map[string]*simTask{}, nextPort: 32768}
}

// run keeps the instance's sessions open until ctx ends.
func (in *instance) run(ctx context.Context) {
	cfg := in.f.cfg.Session
	cfg.InstanceARN = in.arn
	cfg.AgentVersion = in.f.cfg.AgentVersion
	cfg.DockerVersion = "simulated"
	cfg.OnConnect = func() { in.f.connected.Add(1) }
	cfg.OnDisconnect = func(error) { in.f.connected.Add(-1) }
	if in.f.cfg.Telemetry {
		tel := acs.NewTelemetry(in.f.client, acs.TelemetryConfig{InstanceARN: in.arn, AgentVersion: cfg.AgentVersion, DockerVersion: "simulated"}, in)
		go func() { _ = tel.Run(ctx) }()
	}
	s := acs.NewSession(in.f.client, cfg, acs.Handlers{Payload: in, Credentials: in, Manifest: in})
	if err := s.Run(ctx); err != nil && ctx.Err() == nil {
		in.f.log.Warn("simulated instance stopped polling", logkey.Instance, in.arn, logkey.Err, err)
	}
}

// HandlePayload takes new tasks and stop requests; the work happens later,
// so the read loop is never blocked.
func (in *instance) HandlePayload(_ context.Context, m *wire.PayloadMessage) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, wt := range m.Tasks {
		t := in.tasks[wt.ARN]
		switch {
		case t == nil && wt.DesiredStatus == statusStopped:
			// Unknown and to be stopped: report it stopped at once.
			t = &simTask{arn: wt.ARN, stopWanted: true, started: true}
			in.tasks[wt.ARN] = t
		case t == nil:
			t = &simTask{arn: wt.ARN}
			for _, c := range wt.Containers {
				t.containers = append(t.containers, simContainer{name: c.Name, bindings: in.bindings(c)})
			}
			in.tasks[wt.ARN] = t
		case wt.DesiredStatus == statusStopped:
			t.stopWanted = true
		}
		in.advance(t)
	}
	return nil
}

// bindings publishes a container's port mappings; dynamic ones get the
// next port of the instance's ephemeral range.
func (in *instance) bindings(c *wire.Container) []acs.NetworkBinding {
	var out []acs.NetworkBinding
	for _, pm := range c.PortMappings {
		hp := pm.HostPort
		if hp == 0 {
			hp = in.nextPort
			if in.nextPort++; in.nextPort > 60999 {
				in.nextPort = 32768
			}
		}
		out = append(out, acs.NetworkBinding{BindIP: "0.0.0.0", ContainerPort: pm.ContainerPort, HostPort: hp, Protocol: pm.Protocol})
	}
	return out
}

// advance starts t's next step; in.mu is held.
func (in *instance) advance(t *simTask) {
	cfg := in.f.cfg
	if t.submitting || t.reported == statusStopped {
		return
	}
	switch {
	case t.stopWanted || t.exited:
		in.submit(t, statusStopped)
	case t.reported == "" && !cfg.SkipPending:
		in.submit(t, statusPending)
	case t.reported != statusRunning && !t.started:
		t.started = true
		in.after(cfg.StartDelay, t, func() { t.startDue = true })
	case t.reported != statusRunning && t.startDue:
		in.submit(t, statusRunning)
	case t.reported == statusRunning && cfg.RunDuration > 0 && !t.exitTimer:
		t.exitTimer = true
		in.after(cfg.RunDuration, t, func() { t.exited = true })
	}
}

// after runs fn then advance on t once d has passed.
func (in *instance) after(d time.Duration, t *simTask, fn func()) {
	step := func() {
		in.mu.Lock()
		defer in.mu.Unlock()
		fn()
		in.advance(t)
	}
	if d <= 0 {
		fn()
		in.advance(t)
		return
	}
	time.AfterFunc(d, step)
}

// submit queues t's report of status; in.mu is held.
func (in *instance) submit(t *simTask, status string) {
	t.submitting = true
	ch := acs.TaskStateChange{TaskARN: t.arn, Status: status}
	for _, c := range t.containers {
		cc := acs.ContainerStateChange{Name: c.name, RuntimeID: "sim-" + taskID(t.arn) + "-" + c.name, Status: status}
		switch status {
		case statusRunning:
			cc.NetworkBindings = c.bindings
		case statusStopped:
			code := in.f.cfg.StopExitCode
			if t.exited && !t.stopWanted {
				code = in.f.cfg.ExitCode
			}
			cc.ExitCode = &code
		}
		ch.Containers = append(ch.Containers, cc)
	}
	if status == statusStopped && t.exited && !t.stopWanted {
		ch.Reason = "Essential container in task exited"
	}
	in.f.queue.push(job{in: in, task: t, change: ch})
}

// done records the outcome of t's state change and starts its next step.
func (in *instance) done(t *simTask, status string, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	t.submitting = false
	if err != nil && !acs.IsInvalidParameter(err) {
		// The agent keeps the change and retries it.
		t.submitting = true
		time.AfterFunc(time.Second, func() {
			in.mu.Lock()
			defer in.mu.Unlock()
			t.submitting = false
			in.advance(t)
		})
		return
	}
	prev := t.reported
	t.reported = status
	switch status {
	case statusRunning:
		in.f.running.Add(1)
	case statusStopped:
		if prev == statusRunning {
			in.f.running.Add(-1)
		}
		in.f.stopped.Add(1)
		time.AfterFunc(5*time.Minute, func() {
			in.mu.Lock()
			defer in.mu.Unlock()
			if in.tasks[t.arn] == t {
				delete(in.tasks, t.arn)
			}
		})
	}
	in.advance(t)
}

// HandleCredentials accepts refreshed task credentials (nothing uses them).
func (in *instance) HandleCredentials(context.Context, *wire.IAMRoleCredentialsMessage) error {
	return nil
}

// StopCandidates names the running tasks a manifest lacks.
func (in *instance) StopCandidates(_ context.Context, m *wire.TaskManifestMessage) []wire.TaskIdentifier {
	listed := make(map[string]bool, len(m.Tasks))
	for _, t := range m.Tasks {
		listed[t.TaskARN] = true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []wire.TaskIdentifier
	for a, t := range in.tasks {
		if !listed[a] && t.reported != statusStopped {
			out = append(out, wire.TaskIdentifier{TaskARN: a, TaskClusterARN: m.ClusterARN})
		}
	}
	return out
}

// StopTasks stops the tasks the control plane confirmed.
func (in *instance) StopTasks(_ context.Context, ts []wire.TaskIdentifier) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, ti := range ts {
		if t := in.tasks[ti.TaskARN]; t != nil {
			t.stopWanted = true
			in.advance(t)
		}
	}
}

// TaskMetrics reports a flat, idle load for every running task.
func (in *instance) TaskMetrics(context.Context) []wire.TaskMetric {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []wire.TaskMetric
	for a, t := range in.tasks {
		if t.reported != statusRunning {
			continue
		}
		tm := wire.TaskMetric{TaskARN: a}
		for _, c := range t.containers {
			tm.ContainerMetrics = append(tm.ContainerMetrics, wire.ContainerMetric{ContainerName: c.name,
				CPUStatsSet: &wire.CWStatsSet{SampleCount: 1}, MemoryStatsSet: &wire.CWStatsSet{SampleCount: 1}})
		}
		out = append(out, tm)
	}
	return out
}

func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }
