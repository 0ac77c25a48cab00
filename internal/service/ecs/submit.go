// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/reqctx"
)

// The agent's calls: DiscoverPollEndpoint and the Submit* state changes
// (docs/ecs-agent-protocol.md sections 1.7 and 4). State changes are
// idempotent: a repeated or older report (RUNNING after STOPPED) changes
// nothing and writes nothing.

const (
	maxSubmitReasonLen = 1024
	acknowledgment     = "true"
)

// DiscoverPollEndpoint implements ecsapi.API: the ACS and TCS endpoints
// are this server, at the address the agent used to reach it.
func (s *Service) DiscoverPollEndpoint(ctx context.Context, in *ecsapi.DiscoverPollEndpointInput) (*ecsapi.DiscoverPollEndpointOutput, error) {
	info := reqctx.From(ctx)
	host := info.Host
	if host == "" {
		host = "localhost"
	}
	scheme := "http://"
	if info.Secure {
		scheme = "https://"
	}
	base := scheme + host
	return &ecsapi.DiscoverPollEndpointOutput{
		Endpoint:          ptr(base + "/acs"),
		TelemetryEndpoint: ptr(base + "/tcs"),
	}, nil
}

// agentTask resolves the cluster and task of an agent report.
func (s *Service) agentTask(cluster *string, task string) (string, error) {
	name, err := s.knownCluster(context.Background(), cluster)
	if err != nil {
		return "", err
	}
	sid, ok := s.taskRefSID(name, task)
	if !ok {
		return "", invalidParam(msgTaskNotFound)
	}
	return sid, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// setTime sets *dst from a reported time; false when nothing changed.
func setTime(dst *time.Time, v *time.Time) bool {
	if v == nil || v.IsZero() {
		return false
	}
	t := v.UTC().Truncate(time.Millisecond)
	if dst.Equal(t) {
		return false
	}
	*dst = t
	return true
}

// SubmitTaskStateChange implements ecsapi.API.
func (s *Service) SubmitTaskStateChange(ctx context.Context, in *ecsapi.SubmitTaskStateChangeInput) (*ecsapi.SubmitTaskStateChangeOutput, error) {
	status := deref(in.Status)
	if status != "" && statusRank(status) < 0 {
		return nil, invalidParam("Invalid task status %q.", status)
	}
	sid, err := s.agentTask(in.Cluster, deref(in.Task))
	if err != nil {
		return nil, err
	}
	reason := truncate(deref(in.Reason), maxSubmitReasonLen)
	_, err = s.mutateTask(ctx, sid, func(t *taskRec) (bool, error) {
		changed := false
		for _, c := range in.Containers {
			changed = applyContainer(t, deref(c.ContainerName), containerChange{
				runtimeID: deref(c.RuntimeId), digest: deref(c.ImageDigest), status: deref(c.Status),
				exit: c.ExitCode, reason: deref(c.Reason), bindings: c.NetworkBindings,
			}) || changed
		}
		changed = setTime(&t.PullStarted, in.PullStartedAt) || changed
		changed = setTime(&t.PullStopped, in.PullStoppedAt) || changed
		changed = setTime(&t.ExecStopped, in.ExecutionStoppedAt) || changed
		if status == "" || statusRank(status) <= statusRank(t.Last) {
			return changed, nil
		}
		now := s.now()
		switch {
		case statusRank(status) >= statusRank(taskStopped):
			if t.StoppedReason == "" {
				t.StoppedReason = nonEmpty(reason, msgEssentialExited)
			}
			if t.StopCode == "" {
				t.StopCode = stopEssential
				if t.Started.IsZero() {
					t.StopCode = stopFailed
				}
			}
			markStopped(t, now)
		case status == taskRunning:
			t.Last, t.Started = taskRunning, now
		default:
			t.Last = taskPending
		}
		return true, nil
	})
	if isNotFound(err) {
		return nil, invalidParam(msgTaskNotFound)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &ecsapi.SubmitTaskStateChangeOutput{Acknowledgment: ptr(acknowledgment)}, nil
}

// containerChange is one container's reported state.
type containerChange struct {
	runtimeID, digest, status, reason string
	exit                              *int32
	bindings                          []ecsapi.NetworkBinding
}

// applyContainer applies a container report to a task; false when it
// changes nothing.
func applyContainer(t *taskRec, name string, ch containerChange) bool {
	i := slices.IndexFunc(t.Containers, func(c containerRec) bool { return c.Name == name })
	if i < 0 {
		return false
	}
	c := &t.Containers[i]
	before := c.fingerprint()
	if ch.runtimeID != "" {
		c.RuntimeID = ch.runtimeID
	}
	if ch.digest != "" {
		c.Digest = ch.digest
	}
	if ch.status != "" && statusRank(ch.status) > statusRank(c.Last) {
		c.Last = ch.status
	}
	if ch.exit != nil {
		e := *ch.exit
		c.Exit = &e
	}
	if ch.reason != "" {
		c.Reason = truncate(ch.reason, maxSubmitReasonLen)
	}
	if len(ch.bindings) > 0 {
		c.Bindings = c.Bindings[:0]
		for _, b := range ch.bindings {
			c.Bindings = append(c.Bindings, bindingRec{IP: deref(b.BindIP), CPort: deref32(b.ContainerPort),
				HPort: deref32(b.HostPort), Proto: deref(b.Protocol), CPortRange: deref(b.ContainerPortRange),
				HPortRange: deref(b.HostPortRange)})
		}
	}
	return c.fingerprint() != before
}

// fingerprint summarizes a container's reported state for change
// detection.
func (c *containerRec) fingerprint() string {
	var b strings.Builder
	b.WriteString(c.RuntimeID + "|" + c.Digest + "|" + c.Last + "|" + c.Reason + "|")
	if c.Exit != nil {
		b.WriteString(itoa(int(*c.Exit)))
	}
	for _, nb := range c.Bindings {
		b.WriteString("|" + nb.IP + ":" + itoa(int(nb.CPort)) + ":" + itoa(int(nb.HPort)) + ":" + nb.Proto + ":" + nb.CPortRange + ":" + nb.HPortRange)
	}
	return b.String()
}

// SubmitContainerStateChange implements ecsapi.API (the agent's legacy
// per-container report).
func (s *Service) SubmitContainerStateChange(ctx context.Context, in *ecsapi.SubmitContainerStateChangeInput) (*ecsapi.SubmitContainerStateChangeOutput, error) {
	if st := deref(in.Status); st != "" && statusRank(st) < 0 {
		return nil, invalidParam("Invalid container status %q.", st)
	}
	sid, err := s.agentTask(in.Cluster, deref(in.Task))
	if err != nil {
		return nil, err
	}
	_, err = s.mutateTask(ctx, sid, func(t *taskRec) (bool, error) {
		return applyContainer(t, deref(in.ContainerName), containerChange{
			runtimeID: deref(in.RuntimeId), status: deref(in.Status), exit: in.ExitCode,
			reason: deref(in.Reason), bindings: in.NetworkBindings,
		}), nil
	})
	if isNotFound(err) {
		return nil, invalidParam(msgTaskNotFound)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &ecsapi.SubmitContainerStateChangeOutput{Acknowledgment: ptr(acknowledgment)}, nil
}

// SubmitAttachmentStateChanges implements ecsapi.API. berth's EC2 tasks
// use bridge, host or none networking and have no attachments, so the
// reports are acknowledged and dropped.
func (s *Service) SubmitAttachmentStateChanges(_ context.Context, in *ecsapi.SubmitAttachmentStateChangesInput) (*ecsapi.SubmitAttachmentStateChangesOutput, error) {
	if _, _, err := s.activeCluster(in.Cluster); err != nil {
		return nil, err
	}
	if len(in.Attachments) == 0 {
		return nil, invalidParam("attachments must not be empty.")
	}
	return &ecsapi.SubmitAttachmentStateChangesOutput{Acknowledgment: ptr(acknowledgment)}, nil
}
