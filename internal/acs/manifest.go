// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
)

// sendManifest sends the list of every task the instance should know
// about. The agent acknowledges it and answers with the tasks it runs that
// the list lacks (TaskStopVerificationMessage).
func (ss *session) sendManifest(ctx context.Context) error {
	tasks, err := ss.srv.deps.Backend.InstanceTasks(ctx, ss.hs.instanceARN)
	if err != nil {
		return fmt.Errorf("acs: tasks of %s: %w", ss.hs.instanceARN, err)
	}
	msg := wire.TaskManifestMessage{
		MessageID:            wire.NewMessageID(),
		ClusterARN:           ss.hs.clusterARN,
		ContainerInstanceARN: ss.hs.instanceARN,
		Tasks:                make([]wire.TaskIdentifier, 0, len(tasks)),
		GeneratedAt:          ss.srv.deps.Clock().UnixMilli(),
		Timeline:             ss.nextSeq(time.Now()),
	}
	for _, t := range tasks {
		msg.Tasks = append(msg.Tasks, wire.TaskIdentifier{TaskARN: t.TaskARN, TaskClusterARN: t.ClusterARN, DesiredStatus: t.DesiredStatus})
	}
	ss.manifestID = msg.MessageID
	return ss.send(ctx, wire.TypeTaskManifestMessage, msg)
}

// verifyStops answers a TaskStopVerificationMessage: of the candidates the
// agent runs but the manifest lacked, those the control plane does not
// want running are to be stopped.
func (ss *session) verifyStops(ctx context.Context, m *wire.TaskStopVerificationMessage) error {
	if m.MessageID != ss.manifestID {
		ss.log.Debug("stop verification for an old manifest ignored", "message_id", m.MessageID)
		return nil
	}
	tasks, err := ss.srv.deps.Backend.InstanceTasks(ctx, ss.hs.instanceARN)
	if err != nil {
		return fmt.Errorf("acs: tasks of %s: %w", ss.hs.instanceARN, err)
	}
	running := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		if t.DesiredStatus == "RUNNING" {
			running[t.TaskARN] = true
		}
	}
	ack := wire.TaskStopVerificationAck{MessageID: m.MessageID, GeneratedAt: ss.srv.deps.Clock().UnixMilli(), StopTasks: []wire.TaskIdentifier{}}
	for _, c := range m.StopCandidates {
		if !running[c.TaskARN] {
			ack.StopTasks = append(ack.StopTasks, wire.TaskIdentifier{TaskARN: c.TaskARN, TaskClusterARN: c.TaskClusterARN, DesiredStatus: "STOPPED"})
		}
	}
	if len(ack.StopTasks) > 0 {
		ss.log.Info("agent runs tasks the control plane does not know; stopping them", "tasks", len(ack.StopTasks))
	}
	return ss.send(ctx, wire.TypeTaskStopVerificationAck, ack)
}
