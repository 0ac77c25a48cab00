// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth/internal/acs/wire"
)

// heartbeatResponder answers HeartbeatMessage with HeartbeatAckRequest.
// Receiving it has already reset the session's inactivity timer.
type heartbeatResponder struct{ s *Session }

func (r heartbeatResponder) handle(ctx context.Context, c *conn, body json.RawMessage) error {
	var m wire.HeartbeatMessage
	if err := wire.Unmarshal(body, &m); err != nil {
		return nil
	}
	return c.send(ctx, wire.TypeHeartbeatAckRequest, wire.HeartbeatAckRequest{MessageID: m.MessageID})
}
