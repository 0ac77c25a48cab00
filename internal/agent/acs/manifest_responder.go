// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// manifestResponder processes a TaskManifestMessage whose timeline is
// above every sequence number seen: it acknowledges it and, when the agent
// runs tasks the manifest lacks, sends them as stop candidates
// (TaskStopVerificationMessage). Stale manifests are discarded unanswered.
type manifestResponder struct{ s *Session }

func (r manifestResponder) handle(ctx context.Context, c *conn, body json.RawMessage) error {
	var m wire.TaskManifestMessage
	if err := wire.Unmarshal(body, &m); err != nil {
		r.s.log.Warn("undecodable task manifest", logkey.Err, err)
		return nil
	}
	if !r.s.observeSeq(m.Timeline) {
		r.s.log.Debug("stale task manifest discarded", "message_id", m.MessageID, "timeline", m.Timeline)
		return nil
	}
	r.s.mu.Lock()
	r.s.manifestID = m.MessageID
	r.s.mu.Unlock()
	if err := c.send(ctx, wire.TypeAckRequest, wire.AckRequest{
		Cluster: m.ClusterARN, ContainerInstance: m.ContainerInstanceARN, MessageID: m.MessageID,
	}); err != nil {
		return err
	}
	h := r.s.h.Manifest
	if h == nil {
		return nil
	}
	candidates := h.StopCandidates(ctx, &m)
	if len(candidates) == 0 {
		return nil
	}
	return c.send(ctx, wire.TypeTaskStopVerificationMessage, wire.TaskStopVerificationMessage{
		MessageID: m.MessageID, StopCandidates: candidates,
	})
}
