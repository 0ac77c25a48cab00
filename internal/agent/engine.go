// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	agentacs "github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/logkey"
)

// engine connects the ACS session to the task runner: it is the
// session's payload, credentials and manifest handler.
type engine struct {
	runner *taskrunner.Runner
	creds  creds.Manager
	log    *slog.Logger
}

var (
	_ agentacs.PayloadHandler     = (*engine)(nil)
	_ agentacs.CredentialsHandler = (*engine)(nil)
	_ agentacs.ManifestHandler    = (*engine)(nil)
)

// HandlePayload hands each task to the runner. A task the agent cannot
// understand is logged and skipped (acknowledging it, as resending it
// would not help); a closed runner withholds the acknowledgement.
func (e *engine) HandlePayload(ctx context.Context, msg *wire.PayloadMessage) error {
	for _, wt := range msg.Tasks {
		if wt == nil {
			continue
		}
		t, err := taskrunner.FromWire(wt)
		if err != nil {
			e.log.Error("task refused", logkey.TaskARN, wt.ARN, logkey.Err, err)
			continue
		}
		if err := e.runner.Apply(ctx, t); err != nil {
			if errors.Is(err, taskrunner.ErrClosed) {
				return err
			}
			e.log.Error("task not applied", logkey.TaskARN, t.ARN, logkey.Err, err)
			continue
		}
		e.log.Info("task received", logkey.TaskARN, t.ARN, "desired", t.DesiredStatus)
	}
	return nil
}

// HandleCredentials stores refreshed (or, after a restart, resent)
// credentials under their id.
func (e *engine) HandleCredentials(_ context.Context, msg *wire.IAMRoleCredentialsMessage) error {
	rc := msg.RoleCredentials
	role := creds.RoleTaskApplication
	if msg.RoleType == string(creds.RoleTaskExecution) {
		role = creds.RoleTaskExecution
	}
	return e.creds.Set(rc.CredentialsID, creds.Credentials{RoleARN: rc.RoleARN, AccessKeyID: rc.AccessKeyID,
		SecretAccessKey: rc.SecretAccessKey, SessionToken: rc.SessionToken, Expiration: rc.Expiration}, msg.TaskARN, role)
}

// StopCandidates names the tasks running here that the manifest lacks.
func (e *engine) StopCandidates(_ context.Context, msg *wire.TaskManifestMessage) []wire.TaskIdentifier {
	known := map[string]bool{}
	for _, t := range msg.Tasks {
		known[t.TaskARN] = true
	}
	var out []wire.TaskIdentifier
	for _, s := range e.runner.Snapshots() {
		if s.Status != taskrunner.StatusStopped && !known[s.TaskARN] {
			out = append(out, wire.TaskIdentifier{TaskARN: s.TaskARN, TaskClusterARN: msg.ClusterARN, DesiredStatus: taskrunner.StatusStopped})
		}
	}
	return out
}

// StopTasks stops the tasks the control plane confirmed are not wanted.
func (e *engine) StopTasks(_ context.Context, tasks []wire.TaskIdentifier) {
	for _, t := range tasks {
		e.log.Info("stopping a task the control plane no longer lists", logkey.TaskARN, t.TaskARN)
		if err := e.runner.Stop(t.TaskARN); err != nil {
			e.log.Warn("stop", logkey.TaskARN, t.TaskARN, logkey.Err, err)
		}
	}
}

// submitter sends the runner's state changes with SubmitTaskStateChange,
// in order, retrying with backoff until they are accepted.
type submitter struct {
	client *agentacs.Client
	log    *slog.Logger
	ch     chan taskrunner.StateChange
}

func newSubmitter(c *agentacs.Client, log *slog.Logger) *submitter {
	return &submitter{client: c, log: log, ch: make(chan taskrunner.StateChange, 4096)}
}

// enqueue is the runner's OnStateChange: it must not block.
func (s *submitter) enqueue(ch taskrunner.StateChange) {
	select {
	case s.ch <- ch:
	default:
		s.log.Error("state change queue full; change dropped (the next one of the task carries its state)", logkey.TaskARN, ch.TaskARN)
	}
}

func (s *submitter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ch := <-s.ch:
			s.submit(ctx, ch)
		}
	}
}

func (s *submitter) submit(ctx context.Context, ch taskrunner.StateChange) {
	in := toACS(ch)
	delay := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.client.SubmitTaskStateChange(ctx, in)
		if err == nil {
			s.log.Info("task state submitted", logkey.TaskARN, ch.TaskARN, "status", ch.Status)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if agentacs.IsInvalidParameter(err) {
			s.log.Warn("task state change refused", logkey.TaskARN, ch.TaskARN, "status", ch.Status, logkey.Err, err)
			return
		}
		s.log.Warn("submitting task state; will retry", logkey.TaskARN, ch.TaskARN, "status", ch.Status,
			"attempt", attempt, logkey.Err, describe(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// toACS converts a runner state change to the Submit call's shape.
func toACS(ch taskrunner.StateChange) agentacs.TaskStateChange {
	out := agentacs.TaskStateChange{TaskARN: ch.TaskARN, Status: ch.Status, Reason: ch.Reason,
		PullStartedAt: ch.PullStartedAt, PullStoppedAt: ch.PullStoppedAt, ExecutionStoppedAt: ch.ExecutionStoppedAt}
	for _, c := range ch.Containers {
		cc := agentacs.ContainerStateChange{Name: c.Name, RuntimeID: c.RuntimeID, ImageDigest: c.ImageDigest,
			Status: c.Status, Reason: c.Reason}
		if c.ExitCode != nil {
			code := int32(*c.ExitCode)
			cc.ExitCode = &code
		}
		for _, b := range c.NetworkBindings {
			cc.NetworkBindings = append(cc.NetworkBindings, agentacs.NetworkBinding{BindIP: b.BindIP,
				ContainerPort: int32(b.ContainerPort), HostPort: int32(b.HostPort), Protocol: b.Protocol})
		}
		out.Containers = append(out.Containers, cc)
	}
	return out
}
