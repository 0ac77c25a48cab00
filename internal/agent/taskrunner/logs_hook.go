// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"maps"
)

// LogsHook passes the container's LogConfig (from dockerConfig.hostConfig)
// through to Docker unchanged, with one addition: for the awslogs driver
// and logsAuthStrategy ExecutionRole, it points the driver at the
// execution role's credentials (awslogs-credentials-endpoint=
// /v2/credentials/<execution credentials id>), which dockerd fetches from
// 169.254.170.2 through the netfilter OUTPUT rule.
type LogsHook struct{}

var _ Prestarter = LogsHook{}

// Name implements Hook.
func (LogsHook) Name() string { return "logs" }

// Prestart implements Prestarter.
func (LogsHook) Prestart(ctx context.Context, req *CreateRequest) error {
	lc := &req.HostConfig.LogConfig
	exec := req.Task.ExecutionRoleCredentials
	if lc.Type != "awslogs" || req.Container.LogsAuthStrategy != "ExecutionRole" || exec == nil || exec.CredentialsID == "" {
		return nil
	}
	cfg := maps.Clone(lc.Config)
	if cfg == nil {
		cfg = map[string]string{}
	}
	cfg["awslogs-credentials-endpoint"] = "/v2/credentials/" + exec.CredentialsID
	lc.Config = cfg
	return nil
}
