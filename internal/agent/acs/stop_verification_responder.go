// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth/internal/acs/wire"
)

// stopVerificationResponder stops the tasks a TaskStopVerificationAck
// confirms, if it answers the last manifest processed.
type stopVerificationResponder struct{ s *Session }

func (r stopVerificationResponder) handle(ctx context.Context, _ *conn, body json.RawMessage) error {
	var m wire.TaskStopVerificationAck
	if err := wire.Unmarshal(body, &m); err != nil {
		return nil
	}
	r.s.mu.Lock()
	current := m.MessageID != "" && m.MessageID == r.s.manifestID
	r.s.mu.Unlock()
	if !current || r.s.h.Manifest == nil || len(m.StopTasks) == 0 {
		return nil
	}
	r.s.h.Manifest.StopTasks(ctx, m.StopTasks)
	return nil
}
