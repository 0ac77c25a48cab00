// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
)

// JSONFileOptions are the json-file driver options an awslogs container
// gets: rotation bounds its disk use while the agent ships its output.
var JSONFileOptions = map[string]string{"max-size": "64m", "max-file": "4"}

// LogsHook passes the container's LogConfig (from dockerConfig.hostConfig)
// through to Docker, except for the awslogs driver: the agent ships those
// logs itself (package logship), so Docker gets the json-file driver,
// which it can read back, and the awslogs options stay in the task spec
// (the container's DockerConfig) where the shipper reads them, also after
// a restart. dockerd's own awslogs driver would need the instance role's
// credentials in dockerd's environment, which the agent does not control.
type LogsHook struct{}

var _ Prestarter = LogsHook{}

// Name implements Hook.
func (LogsHook) Name() string { return "logs" }

// Prestart implements Prestarter.
func (LogsHook) Prestart(ctx context.Context, req *CreateRequest) error {
	lc := &req.HostConfig.LogConfig
	if lc.Type != "awslogs" {
		return nil
	}
	lc.Type = "json-file"
	lc.Config = map[string]string{}
	for k, v := range JSONFileOptions {
		lc.Config[k] = v
	}
	return nil
}
