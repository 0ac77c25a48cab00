// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/logkey"
)

// persist checkpoints a snapshot.
func (tr *taskRunner) persist(s *Snapshot) {
	st := tr.r.deps.Store
	if st == nil {
		return
	}
	spec, err := tr.task.specJSON()
	if err != nil {
		tr.log.Error("checkpointing task", logkey.Err, err)
		return
	}
	rec := state.Task{
		ARN: tr.task.ARN, DesiredStatus: s.DesiredStatus, KnownStatus: s.KnownStatus, Spec: spec,
		Containers: map[string]state.Container{}, CredentialsIDs: tr.task.credentialsIDs(),
		StoppedAt: tr.stoppedAt, Reason: s.Reason,
	}
	for _, c := range s.Containers {
		rec.Containers[c.Name] = state.Container{DockerID: c.DockerID, DockerName: c.DockerName, KnownStatus: c.KnownStatus,
			ExitCode: c.ExitCode, Reason: c.Reason, EndpointID: c.EndpointID}
	}
	if err := st.PutTask(rec); err != nil {
		tr.log.Error("checkpointing task", logkey.Err, err)
	}
}

// Restore reattaches the tasks in the Store: it finds each task's
// containers (by the Docker ids checkpointed, or by the runner's labels
// for a container created just before the agent died), resumes watching
// the running ones without restarting them, records exits that happened
// while the agent was away (an essential one stops the task), and carries
// on with what was not started yet. Hooks get Poststart for each running
// container and RestoreExited for each stopped one Docker still has (so
// the output of a container that exited while the agent was away can
// still be shipped). Credentials are registered as pending
// until the control plane sends them again. It returns the number of
// tasks restored. Call it once, before Apply.
func (r *Runner) Restore(ctx context.Context) (int, error) {
	if r.deps.Store == nil {
		return 0, errors.New("taskrunner: Restore without a Store")
	}
	recs, err := r.deps.Store.Tasks()
	if err != nil {
		return 0, err
	}
	list, err := r.deps.Docker.ContainerList(ctx, map[string]string{LabelCluster: r.cfg.Cluster})
	if err != nil {
		return 0, fmt.Errorf("taskrunner: restore: %w", err)
	}
	byLabel := map[string]string{} // task ARN/container → docker id
	present := map[string]bool{}   // docker ids, stopped ones included
	for _, s := range list {
		byLabel[s.Labels[LabelTaskARN]+"/"+s.Labels[LabelContainerName]] = s.ID
		present[s.ID] = true
	}
	known := map[string]bool{}
	n := 0
	for _, rec := range recs {
		var t Task
		if err := json.Unmarshal(rec.Spec, &t); err != nil {
			r.log.Error("unreadable task checkpoint; skipped", logkey.TaskARN, rec.ARN, logkey.Err, err)
			continue
		}
		known[t.ARN] = true
		// Credentials were not checkpointed: register the ids as pending.
		for _, rc := range []*RoleCredentials{t.RoleCredentials, t.ExecutionRoleCredentials} {
			if rc != nil {
				rc.Credentials.AccessKeyID, rc.Credentials.SecretAccessKey, rc.Credentials.SessionToken = "", "", ""
			}
		}
		tr := newTaskRunner(r, t)
		tr.restored = true
		tr.desired, tr.known, tr.reason, tr.stoppedAt = rec.DesiredStatus, rec.KnownStatus, rec.Reason, rec.StoppedAt
		tr.stopping = rec.KnownStatus == StatusStopped
		for _, c := range tr.containers {
			tr.reattach(ctx, c, rec.Containers[c.spec.Name], byLabel[t.ARN+"/"+c.spec.Name])
		}
		for _, h := range r.hooks {
			if u, ok := h.(Updater); ok {
				if err := u.Update(ctx, &tr.task); err != nil {
					tr.log.Warn("restoring task", "hook", h.Name(), logkey.Err, err)
				}
			}
		}
		for _, c := range tr.containers {
			info := &ContainerInfo{Name: c.spec.Name, DockerID: c.dockerID, IPs: c.ips, HostNetwork: t.HostNetwork()}
			switch {
			case c.status == StatusRunning:
				for _, h := range r.hooks {
					if p, ok := h.(Poststarter); ok {
						p.Poststart(ctx, &tr.task, info)
					}
				}
			case c.status == StatusStopped && c.dockerID != "" && present[c.dockerID]:
				for _, h := range r.hooks {
					if p, ok := h.(ExitedRestorer); ok {
						p.RestoreExited(ctx, &tr.task, info)
					}
				}
			}
		}
		tr.lastChange = tr.snapshot().stateChange()
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return n, ErrClosed
		}
		r.tasks[t.ARN] = tr
		r.wg.Add(1)
		r.mu.Unlock()
		go tr.run(r.ctx)
		n++
		tr.log.Info("task restored", "known_status", rec.KnownStatus)
	}
	for key, id := range byLabel {
		arn := key[:max(0, strings.LastIndex(key, "/"))]
		if !known[arn] {
			r.log.Warn("container labelled for this cluster belongs to no known task; left alone", logkey.ContainerID, id, logkey.TaskARN, arn)
		}
	}
	return n, nil
}

// reattach sets c from its checkpoint and what Docker says now.
func (tr *taskRunner) reattach(ctx context.Context, c *ctr, rec state.Container, labelled string) {
	if rec.EndpointID != "" {
		c.endpointID = rec.EndpointID
	}
	c.dockerID, c.dockerName, c.exitCode, c.reason = rec.DockerID, rec.DockerName, rec.ExitCode, rec.Reason
	if c.dockerID == "" {
		c.dockerID = labelled
	}
	if rec.KnownStatus == StatusStopped {
		c.status, c.everRan = StatusStopped, rec.ExitCode != nil
		return
	}
	if c.dockerID == "" {
		c.status = StatusNone // never created: the loop starts it (unless the task stops)
		return
	}
	ins, err := tr.r.deps.Docker.ContainerInspect(ctx, c.dockerID)
	switch {
	case errors.Is(err, docker.ErrNotFound):
		c.status, c.reason, c.everRan = StatusStopped, "DockerStateError: container disappeared while the agent was down", rec.KnownStatus == StatusRunning
		return
	case err != nil || ins.ContainerJSONBase == nil || ins.State == nil:
		tr.log.Warn("inspecting a container to reattach; treating it as stopped", logkey.ContainerID, c.dockerID, logkey.Err, err)
		c.status, c.reason = StatusStopped, "DockerStateError: cannot inspect the container after an agent restart"
		return
	}
	c.inspected = readInspect(&tr.task, c.spec, ins)
	switch ins.State.Status {
	case container.StateRunning, container.StatePaused, container.StateRestarting:
		c.status, c.everRan = StatusRunning, true
	case container.StateCreated:
		// Created but never started: start it as the agent would have.
		if err := tr.r.deps.Docker.ContainerRemove(ctx, c.dockerID); err != nil {
			tr.log.Warn("removing a never-started container", logkey.ContainerID, c.dockerID, logkey.Err, err)
		}
		c.dockerID, c.dockerName, c.status = "", "", StatusNone
	default: // exited or dead while the agent was away
		code := ins.State.ExitCode
		c.status, c.everRan, c.exitCode, c.finishedAt = StatusStopped, true, &code, parseTime(ins.State.FinishedAt)
		if ins.State.OOMKilled {
			c.reason = "OutOfMemoryError: Container killed due to memory usage"
		}
	}
}
