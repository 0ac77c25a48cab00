// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/logkey"
)

// ctr is the runner's view of one container of a task.
type ctr struct {
	spec       *Container
	status     string // StatusNone, StatusRunning, StatusStopped
	starting   bool   // a start goroutine is at work
	stopAsked  bool   // a stop goroutine was launched
	everRan    bool
	polling    bool // a health poll is in flight
	dockerID   string
	dockerName string
	endpointID string
	inspected  // read back once the container started (or was reattached)
	exitCode   *int
	reason     string
	finishedAt time.Time
}

type eventKind int

const (
	evUpdate eventKind = iota
	evStop
	evStarted
	evExited
	evHealth
)

type event struct {
	kind   eventKind
	name   string
	task   *Task
	start  *startResult
	exit   *exitResult
	health string
}

// taskRunner owns one task: a goroutine runs its event loop (run), and
// short-lived goroutines start, stop, watch and poll its containers and
// report back as events. Only the loop touches the fields below (except
// lastMu/lastChange).
//
//	        Apply                    all started                essential exit,
//	NONE ──────────► PENDING ──────────────────────► RUNNING ──  desired STOPPED,
//	                    │                                        dependency failure
//	                    └────────────────────────────────────────────────► STOPPED ── CleanupWait ──► removed
type taskRunner struct {
	r          *Runner
	task       Task
	desired    string
	known      string
	reason     string
	stopping   bool
	containers []*ctr
	byName     map[string]*ctr
	events     chan event
	done       chan struct{}
	log        *slog.Logger

	startCtx    context.Context
	startCancel context.CancelFunc

	pullStarted, pullStopped, execStopped time.Time
	stoppedAt                             time.Time
	dirty                                 bool
	restored                              bool

	lastMu     sync.Mutex
	lastChange StateChange
	reported   []byte
}

func newTaskRunner(r *Runner, t Task) *taskRunner {
	tr := &taskRunner{
		r: r, task: t, desired: t.DesiredStatus, known: StatusNone,
		byName: map[string]*ctr{}, events: make(chan event, 64), done: make(chan struct{}),
		log: r.log.With(logkey.TaskARN, t.ARN),
	}
	for i := range tr.task.Containers {
		c := &ctr{spec: &tr.task.Containers[i], status: StatusNone, endpointID: t.ID() + "-" + randomHex(8)}
		tr.containers = append(tr.containers, c)
		tr.byName[c.spec.Name] = c
	}
	return tr
}

// send delivers an event unless the task's loop has ended.
func (tr *taskRunner) send(ev event) {
	select {
	case tr.events <- ev:
	case <-tr.done:
	}
}

func (tr *taskRunner) last() StateChange {
	tr.lastMu.Lock()
	defer tr.lastMu.Unlock()
	return tr.lastChange
}

func (tr *taskRunner) run(ctx context.Context) {
	defer tr.r.wg.Done()
	defer close(tr.done)
	tr.startCtx, tr.startCancel = context.WithCancel(ctx)
	defer tr.startCancel()
	for _, c := range tr.containers {
		if c.status == StatusRunning {
			go tr.wait(ctx, c.spec.Name, c.dockerID)
		}
	}
	tr.dirty = true
	health := time.NewTicker(tr.r.cfg.HealthInterval)
	defer health.Stop()
	for tr.known != StatusStopped {
		tr.step()
		if tr.known == StatusStopped {
			break
		}
		select {
		case <-ctx.Done():
			return
		case ev := <-tr.events:
			tr.handle(ctx, ev)
		case <-health.C:
			tr.pollHealth(ctx)
		}
	}
	tr.startCancel()
	wait := time.NewTimer(max(0, tr.r.cfg.CleanupWait-time.Since(tr.stoppedAt)))
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return // the next runner's Restore resumes the wait
		case ev := <-tr.events:
			if ev.kind == evStarted && ev.start.dockerID != "" {
				tr.byName[ev.name].dockerID = ev.start.dockerID
			}
			continue
		case <-wait.C:
		}
		break
	}
	tr.cleanup(ctx)
}

// step advances the task as far as its state allows and publishes any
// change.
func (tr *taskRunner) step() {
	if tr.desired == StatusStopped && !tr.stopping {
		tr.beginStop("")
	}
	tr.checkEssential()
	if !tr.stopping {
		tr.startReady()
		tr.checkEssential()
	}
	if tr.stopping {
		tr.stopAll()
	}
	tr.transition()
	if tr.dirty {
		tr.dirty = false
		tr.publish()
	}
}

// checkEssential stops the task once an essential container has stopped.
func (tr *taskRunner) checkEssential() {
	if tr.stopping {
		return
	}
	for _, c := range tr.containers {
		if c.spec.Essential && c.status == StatusStopped {
			reason := "Essential container in task exited"
			if !c.everRan && c.reason != "" {
				reason = c.reason
			}
			tr.beginStop(reason)
			return
		}
	}
}

func (tr *taskRunner) beginStop(reason string) {
	tr.stopping = true
	if tr.reason == "" {
		tr.reason = reason
	}
	tr.dirty = true
	tr.log.Info("stopping task", "reason", reason)
}

func (tr *taskRunner) startReady() {
	for _, c := range tr.containers {
		if c.status != StatusNone || c.starting {
			continue
		}
		ready, failure := tr.dependenciesMet(c)
		switch {
		case failure != "":
			c.status, c.reason = StatusStopped, failure
			tr.dirty = true
			tr.containerStopped(c)
		case ready:
			c.starting = true
			t := tr.task // copy: credentials may change while it starts
			go tr.start(tr.startCtx, &t, c.spec, c.endpointID)
		}
	}
}

// dependenciesMet reports whether c may start, or why it never will.
func (tr *taskRunner) dependenciesMet(c *ctr) (bool, string) {
	for _, d := range c.spec.DependsOn {
		dep := tr.byName[d.ContainerName]
		stopped := dep.status == StatusStopped
		never := "DependencyConditionFailed: container " + d.ContainerName + " did not reach " + d.Condition
		switch d.Condition {
		case ConditionStart:
			if dep.everRan {
				continue
			}
		case ConditionComplete:
			if stopped && dep.everRan {
				continue
			}
		case ConditionSuccess:
			if stopped && dep.everRan && dep.exitCode != nil && *dep.exitCode == 0 {
				continue
			}
		case ConditionHealthy:
			if dep.health == "healthy" {
				continue
			}
			if dep.status == StatusRunning && !dep.hasHealth {
				return false, never + " (it has no health check)"
			}
		}
		if stopped {
			return false, never
		}
		return false, ""
	}
	return true, ""
}

func (tr *taskRunner) stopAll() {
	tr.startCancel()
	for _, c := range tr.containers {
		switch {
		case c.status == StatusNone && !c.starting:
			c.status = StatusStopped
			tr.dirty = true
		case c.status == StatusRunning && !c.stopAsked:
			c.stopAsked = true
			go tr.stopContainer(c.spec.Name, c.dockerID, tr.r.stopTimeout(c.spec))
		}
	}
}

func (tr *taskRunner) transition() {
	if tr.known == StatusStopped {
		return
	}
	allStopped, allStarted := true, true
	for _, c := range tr.containers {
		if c.status != StatusStopped || c.starting {
			allStopped = false
		}
		if c.status == StatusNone || c.starting || c.status == StatusStopped && c.spec.Essential {
			allStarted = false
		}
	}
	switch {
	case allStopped:
		tr.known = StatusStopped
		tr.execStopped = time.Now()
		tr.stoppedAt = tr.execStopped
		tr.dirty = true
		tr.log.Info("task stopped", "reason", tr.reason)
	case allStarted && !tr.stopping && tr.known != StatusRunning:
		tr.known = StatusRunning
		tr.dirty = true
		tr.log.Info("task running")
	case tr.known == StatusNone:
		tr.known = StatusPending
		tr.dirty = true
	}
}

func (tr *taskRunner) handle(ctx context.Context, ev event) {
	tr.dirty = true
	switch ev.kind {
	case evUpdate:
		tr.task.RoleCredentials, tr.task.ExecutionRoleCredentials = ev.task.RoleCredentials, ev.task.ExecutionRoleCredentials
		if ev.task.DesiredStatus == StatusStopped {
			tr.desired = StatusStopped
		}
	case evStop:
		tr.desired = StatusStopped
	case evStarted:
		tr.started(ctx, tr.byName[ev.name], ev.start)
	case evExited:
		c := tr.byName[ev.name]
		if c.status != StatusRunning {
			return
		}
		c.status, c.exitCode, c.finishedAt = StatusStopped, ev.exit.code, ev.exit.finishedAt
		if c.reason == "" {
			c.reason = ev.exit.reason
		}
		tr.log.Info("container exited", logkey.ContainerID, c.dockerID, "container", c.spec.Name, "exit_code", derefInt(c.exitCode))
		tr.containerStopped(c)
	case evHealth:
		c := tr.byName[ev.name]
		c.polling = false
		if ev.health == "" || c.health == ev.health {
			tr.dirty = false
			return
		}
		c.health = ev.health
	}
}

func derefInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func (tr *taskRunner) started(ctx context.Context, c *ctr, res *startResult) {
	c.starting = false
	if !res.pullStarted.IsZero() && tr.pullStarted.IsZero() {
		tr.pullStarted = res.pullStarted
	}
	if res.pullStopped.After(tr.pullStopped) {
		tr.pullStopped = res.pullStopped
	}
	c.dockerID, c.dockerName = res.dockerID, res.dockerName
	if res.err != nil {
		c.status, c.reason = StatusStopped, res.reason
		tr.log.Warn("container did not start", "container", c.spec.Name, logkey.Err, res.err)
		tr.containerStopped(c)
		return
	}
	c.status, c.everRan = StatusRunning, true
	c.inspected = res.info
	tr.log.Info("container running", logkey.ContainerID, c.dockerID, "container", c.spec.Name)
	go tr.wait(ctx, c.spec.Name, c.dockerID)
}

func (tr *taskRunner) containerStopped(c *ctr) {
	for _, h := range tr.r.hooks {
		if s, ok := h.(Stopper); ok {
			s.Stopped(tr.r.ctx, &tr.task, c.spec.Name)
		}
	}
}

// snapshot captures the task's state.
func (tr *taskRunner) snapshot() *Snapshot {
	s := &Snapshot{
		Task: &tr.task, DesiredStatus: tr.desired, KnownStatus: tr.known, Reason: tr.reason,
		PullStartedAt: tr.pullStarted, PullStoppedAt: tr.pullStopped, ExecutionStoppedAt: tr.execStopped,
	}
	for _, c := range tr.containers {
		s.Containers = append(s.Containers, ContainerSnapshot{
			Name: c.spec.Name, DockerID: c.dockerID, DockerName: c.dockerName, EndpointID: c.endpointID,
			Image: c.spec.Image, ImageID: c.imageID, ImageDigest: c.imageDigest, KnownStatus: c.status,
			ExitCode: c.exitCode, Reason: c.reason, Bindings: c.bindings, IPs: c.ips, NetworkMode: c.networkMode,
			Labels: c.labels, LogDriver: c.logDriver, LogOptions: c.logOptions,
			CreatedAt: c.createdAt, StartedAt: c.startedAt, FinishedAt: c.finishedAt, Health: c.health,
		})
	}
	return s
}

// publish tells the observers, checkpoints, and reports the task if its
// reportable state changed.
func (tr *taskRunner) publish() {
	s := tr.snapshot()
	for _, h := range tr.r.hooks {
		if o, ok := h.(Observer); ok {
			o.Observe(s)
		}
	}
	tr.persist(s)
	ch := s.stateChange()
	b, _ := json.Marshal(ch)
	tr.lastMu.Lock()
	tr.lastChange = ch
	changed := string(b) != string(tr.reported)
	tr.reported = b
	tr.lastMu.Unlock()
	if changed && tr.r.deps.OnStateChange != nil {
		tr.r.deps.OnStateChange(ch)
	}
}

func (tr *taskRunner) cleanup(ctx context.Context) {
	for _, h := range tr.r.hooks {
		if d, ok := h.(Drainer); ok {
			dctx, cancel := context.WithTimeout(ctx, time.Minute)
			d.Drain(dctx, &tr.task)
			cancel()
		}
	}
	for _, c := range tr.containers {
		if c.dockerID == "" {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		if err := tr.r.deps.Docker.ContainerRemove(rctx, c.dockerID); err != nil {
			tr.log.Warn("removing container", logkey.ContainerID, c.dockerID, logkey.Err, err)
		}
		cancel()
	}
	for _, h := range tr.r.hooks {
		if cl, ok := h.(Cleaner); ok {
			cl.Cleanup(ctx, &tr.task)
		}
	}
	if st := tr.r.deps.Store; st != nil {
		if err := st.DeleteTask(tr.task.ARN); err != nil {
			tr.log.Warn("deleting task checkpoint", logkey.Err, err)
		}
	}
	tr.r.forget(tr.task.ARN)
	tr.log.Info("task cleaned up")
}
