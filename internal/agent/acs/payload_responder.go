// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// payloadResponder hands a PayloadMessage's tasks to the agent, then
// acknowledges the message (AckRequest) and each credentials object it
// carried (IAMRoleCredentialsAckRequest). A message without its required
// ids is dropped; one the handler refuses is not acknowledged.
type payloadResponder struct{ s *Session }

func (r payloadResponder) handle(ctx context.Context, c *conn, body json.RawMessage) error {
	var m wire.PayloadMessage
	if err := wire.Unmarshal(body, &m); err != nil {
		r.s.log.Warn("undecodable payload message", logkey.Err, err)
		return nil
	}
	if m.MessageID == "" || m.ClusterARN == "" || m.ContainerInstanceARN == "" {
		r.s.log.Warn("payload message without messageId, clusterArn or containerInstanceArn dropped")
		return nil
	}
	if err := r.s.h.Payload.HandlePayload(ctx, &m); err != nil {
		r.s.log.Warn("payload not accepted", "message_id", m.MessageID, logkey.Err, err)
		return nil
	}
	r.s.observeSeq(m.SeqNum)
	if err := c.send(ctx, wire.TypeAckRequest, wire.AckRequest{
		Cluster: m.ClusterARN, ContainerInstance: m.ContainerInstanceARN, MessageID: m.MessageID,
	}); err != nil {
		return err
	}
	for _, t := range m.Tasks {
		for _, cr := range []*wire.IAMRoleCredentials{t.RoleCredentials, t.ExecutionRoleCredentials} {
			if cr == nil {
				continue
			}
			if err := c.send(ctx, wire.TypeIAMRoleCredentialsAckRequest, wire.IAMRoleCredentialsAckRequest{
				MessageID: m.MessageID, CredentialsID: cr.CredentialsID, Expiration: cr.Expiration,
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
