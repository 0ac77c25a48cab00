// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/logkey"
)

// handle processes one message from the agent.
func (ss *session) handle(ctx context.Context, in inbound) error {
	switch in.typ {
	case wire.TypeAckRequest:
		var m wire.AckRequest
		if err := wire.Unmarshal(in.body, &m); err != nil {
			return nil
		}
		delete(ss.pending, m.MessageID)
	case wire.TypeIAMRoleCredentialsAckRequest:
		var m wire.IAMRoleCredentialsAckRequest
		if err := wire.Unmarshal(in.body, &m); err != nil {
			return nil
		}
		if p := ss.pending[m.MessageID]; p != nil && p.cred != nil {
			if rs := ss.roles[*p.cred]; rs != nil && rs.pendingID == m.MessageID {
				rs.pendingID = ""
			}
		}
		delete(ss.pending, m.MessageID)
	case wire.TypeHeartbeatAckRequest:
		// lastInbound is all a heartbeat acknowledgement updates.
	case wire.TypeTaskStopVerificationMessage:
		var m wire.TaskStopVerificationMessage
		if err := wire.Unmarshal(in.body, &m); err != nil {
			return nil
		}
		return ss.verifyStops(ctx, &m)
	case wire.TypeNackRequest:
		var m wire.NackRequest
		_ = wire.Unmarshal(in.body, &m)
		ss.log.Warn("agent refused a message", "message_id", m.MessageID, "reason", m.Reason)
		delete(ss.pending, m.MessageID)
	default:
		ss.log.Debug("ignoring message from agent", "type", in.typ)
	}
	return nil
}

// sync compares the instance's tasks with what this session delivered and
// sends the difference: new tasks, and tasks whose record changed (a stop
// is the same ARN with desiredStatus STOPPED). With withCredentials it
// then sends every task role's credentials again.
func (ss *session) sync(ctx context.Context, withCredentials bool) error {
	tasks, err := ss.srv.deps.Backend.InstanceTasks(ctx, ss.hs.instanceARN)
	if err != nil {
		return fmt.Errorf("acs: tasks of %s: %w", ss.hs.instanceARN, err)
	}
	ss.lastSync = time.Now()
	present := make(map[string]bool, len(tasks))
	var changed []*agentapi.Task
	for i := range tasks {
		t := &tasks[i]
		present[t.TaskARN] = true
		// A new Version matters only when it changes what the agent
		// runs: tasks are immutable but for their desired status, and
		// resending each last-status change would double the traffic.
		if d, ok := ss.sent[t.TaskARN]; !ok || d.version != t.Version && d.desired != t.DesiredStatus {
			changed = append(changed, t)
		}
	}
	for a := range ss.sent {
		if !present[a] {
			ss.forgetTask(a)
		}
	}
	now := time.Now()
	for len(changed) > 0 {
		n := min(len(changed), ss.srv.cfg.MaxTasksPerPayload)
		if err := ss.sendPayload(ctx, changed[:n], now); err != nil {
			return err
		}
		changed = changed[n:]
	}
	if withCredentials {
		for k, rs := range ss.roles {
			if err := ss.sendCredentials(ctx, k, rs, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// forgetTask drops a task that left the instance's list (it stopped).
func (ss *session) forgetTask(taskARN string) {
	delete(ss.sent, taskARN)
	for _, rt := range []string{wire.RoleTypeTaskApplication, wire.RoleTypeTaskExecution} {
		delete(ss.roles, credKey{taskARN, rt})
	}
	ss.srv.creds.forget(taskARN)
}

// sendPayload delivers tasks in one PayloadMessage, with their roles'
// credentials for tasks that are to run.
func (ss *session) sendPayload(ctx context.Context, tasks []*agentapi.Task, now time.Time) error {
	msg := wire.PayloadMessage{
		MessageID:            wire.NewMessageID(),
		ClusterARN:           ss.hs.clusterARN,
		ContainerInstanceARN: ss.hs.instanceARN,
		Tasks:                make([]*wire.Task, 0, len(tasks)),
		GeneratedAt:          ss.srv.deps.Clock().UnixMilli(),
		SeqNum:               ss.nextSeq(now),
	}
	out := &outMsg{tasks: make(map[string]int64, len(tasks))}
	for _, t := range tasks {
		wt := ss.render.task(t)
		if t.DesiredStatus == "STOPPED" {
			for _, rt := range []string{wire.RoleTypeTaskApplication, wire.RoleTypeTaskExecution} {
				delete(ss.roles, credKey{t.TaskARN, rt})
			}
		} else {
			wt.RoleCredentials = ss.roleCredentials(ctx, t, wire.RoleTypeTaskApplication, t.TaskRoleARN, now)
			wt.ExecutionRoleCredentials = ss.roleCredentials(ctx, t, wire.RoleTypeTaskExecution, t.ExecutionRoleARN, now)
		}
		msg.Tasks = append(msg.Tasks, wt)
		out.tasks[t.TaskARN] = t.Version
		ss.sent[t.TaskARN] = delivered{version: t.Version, desired: t.DesiredStatus}
	}
	ss.log.Debug("sending tasks", "message_id", msg.MessageID, "tasks", len(msg.Tasks))
	return ss.sendTracked(ctx, msg.MessageID, wire.TypePayloadMessage, msg, out)
}

// roleCredentials returns a task role's credentials for a payload and
// starts keeping them fresh; nil when the task has no such role or the
// role was refused (the session retries later).
func (ss *session) roleCredentials(ctx context.Context, t *agentapi.Task, roleType, roleARN string, now time.Time) *wire.IAMRoleCredentials {
	k := credKey{t.TaskARN, roleType}
	if roleARN == "" {
		delete(ss.roles, k)
		return nil
	}
	rs := &roleState{roleARN: roleARN}
	ss.roles[k] = rs
	c, exp, err := ss.srv.creds.get(ctx, k, roleARN, now)
	if err != nil {
		return nil
	}
	rs.expiration = exp
	return c
}

// refreshCredentials sends fresh credentials for roles whose delivered
// credentials are about to expire, and retries roles that were refused.
func (ss *session) refreshCredentials(ctx context.Context, now time.Time) error {
	for k, rs := range ss.roles {
		if rs.pendingID != "" {
			continue // resent until acknowledged
		}
		if !rs.expiration.IsZero() && rs.expiration.Sub(now) > ss.srv.cfg.CredentialsRefreshBefore {
			continue
		}
		if err := ss.sendCredentials(ctx, k, rs, now); err != nil {
			return err
		}
	}
	return nil
}

// sendCredentials sends an IAMRoleCredentialsMessage for one task role,
// with the same credentials id as every earlier message for it.
func (ss *session) sendCredentials(ctx context.Context, k credKey, rs *roleState, now time.Time) error {
	c, exp, err := ss.srv.creds.get(ctx, k, rs.roleARN, now)
	if err != nil {
		return nil // logged by the cache; retried on a later tick
	}
	msg := wire.IAMRoleCredentialsMessage{
		MessageID:       wire.NewMessageID(),
		TaskARN:         k.taskARN,
		TaskClusterARN:  ss.hs.clusterARN,
		RoleType:        k.roleType,
		RoleCredentials: c,
	}
	rs.expiration, rs.pendingID = exp, msg.MessageID
	key := k
	ss.log.Debug("sending task role credentials", logkey.TaskARN, k.taskARN, "role_type", k.roleType,
		"credentials_id", c.CredentialsID, "expiration", c.Expiration)
	return ss.sendTracked(ctx, msg.MessageID, wire.TypeIAMRoleCredentialsMessage, msg, &outMsg{cred: &key})
}

// nextSeq returns an increasing sequence number, at least the time in
// milliseconds so that sessions on other replicas or after a restart keep
// increasing too (the agent discards manifests whose timeline is not
// above the highest number it has seen).
func (ss *session) nextSeq(now time.Time) int64 {
	ss.seq = max(ss.seq+1, now.UnixMilli())
	return ss.seq
}
