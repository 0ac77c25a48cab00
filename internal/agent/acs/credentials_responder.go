// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// credentialsResponder stores refreshed task-role credentials and
// acknowledges them (IAMRoleCredentialsAckRequest). A message missing its
// messageId, taskArn, roleType or credentialsId is dropped.
type credentialsResponder struct{ s *Session }

func (r credentialsResponder) handle(ctx context.Context, c *conn, body json.RawMessage) error {
	var m wire.IAMRoleCredentialsMessage
	if err := wire.Unmarshal(body, &m); err != nil {
		r.s.log.Warn("undecodable credentials message", logkey.Err, err)
		return nil
	}
	if m.MessageID == "" || m.TaskARN == "" || m.RoleType == "" || m.RoleCredentials == nil || m.RoleCredentials.CredentialsID == "" {
		r.s.log.Warn("incomplete credentials message dropped", "message_id", m.MessageID)
		return nil
	}
	if h := r.s.h.Credentials; h != nil {
		if err := h.HandleCredentials(ctx, &m); err != nil {
			r.s.log.Warn("credentials not accepted", logkey.TaskARN, m.TaskARN, "role_type", m.RoleType, logkey.Err, err)
			return nil
		}
	}
	return c.send(ctx, wire.TypeIAMRoleCredentialsAckRequest, wire.IAMRoleCredentialsAckRequest{
		MessageID: m.MessageID, CredentialsID: m.RoleCredentials.CredentialsID, Expiration: m.RoleCredentials.Expiration,
	})
}
