// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logship

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/berthdev/berth/internal/agent/taskrunner"
)

// Options are a container's awslogs settings (its dockerConfig
// hostConfig LogConfig, as the control plane renders it).
type Options struct {
	Group  string // awslogs-group
	Stream string // awslogs-stream (prefix/container/task-id, rendered)
	// Region and Endpoint are awslogs-region and awslogs-endpoint; empty
	// means the Shipper's defaults.
	Region, Endpoint string
	CreateGroup      bool // awslogs-create-group
}

// OptionsOf returns c's awslogs options; ok is false when c does not use
// the awslogs driver. dockerID names the stream when neither
// awslogs-stream nor awslogs-stream-prefix is set (as Docker does).
func OptionsOf(t *taskrunner.Task, c *taskrunner.Container, dockerID string) (o Options, ok bool, err error) {
	if c.DockerConfig.HostConfig == "" {
		return Options{}, false, nil
	}
	var hc struct {
		LogConfig *struct {
			Type   string
			Config map[string]string
		}
	}
	if err := json.Unmarshal([]byte(c.DockerConfig.HostConfig), &hc); err != nil {
		return Options{}, false, fmt.Errorf("logship: container %s: dockerConfig.hostConfig: %w", c.Name, err)
	}
	if hc.LogConfig == nil || hc.LogConfig.Type != "awslogs" {
		return Options{}, false, nil
	}
	cfg := hc.LogConfig.Config
	o = Options{Group: cfg["awslogs-group"], Stream: cfg["awslogs-stream"], Region: cfg["awslogs-region"], Endpoint: cfg["awslogs-endpoint"]}
	if v, set := cfg["awslogs-create-group"]; set {
		if o.CreateGroup, err = strconv.ParseBool(v); err != nil {
			return Options{}, false, fmt.Errorf("logship: container %s: awslogs-create-group %q: want true or false", c.Name, v)
		}
	}
	if o.Group == "" {
		return Options{}, false, errors.New("logship: container " + c.Name + ": awslogs-group is required")
	}
	if o.Stream == "" {
		if p := cfg["awslogs-stream-prefix"]; p != "" {
			o.Stream = p + "/" + c.Name + "/" + t.ID()
		} else {
			o.Stream = dockerID
		}
	}
	return o, true, nil
}
