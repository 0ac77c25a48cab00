// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agent/creds"
)

// FromWire converts a task of an ACS PayloadMessage. Container overrides
// (a JSON string such as {"command":[...]}) are applied.
func FromWire(w *wire.Task) (Task, error) {
	t := Task{
		ARN: w.ARN, Family: w.Family, Version: w.Version, DesiredStatus: w.DesiredStatus, NetworkMode: w.NetworkMode,
		RoleCredentials: roleFromWire(w.RoleCredentials), ExecutionRoleCredentials: roleFromWire(w.ExecutionRoleCredentials),
	}
	for _, wc := range w.Containers {
		if wc == nil {
			continue
		}
		c := Container{
			Name: wc.Name, Image: wc.Image, CPU: int64(wc.CPU), Memory: int64(wc.Memory), Essential: wc.Essential,
			Command: wc.Command, EntryPoint: wc.EntryPoint, Environment: wc.Environment,
			DockerConfig:     DockerConfig{Config: wc.DockerConfig.Config, HostConfig: wc.DockerConfig.HostConfig},
			LogsAuthStrategy: wc.LogsAuthStrategy,
		}
		for _, p := range wc.PortMappings {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 {
				return Task{}, fmt.Errorf("taskrunner: container %s: port mapping %d:%d out of range", wc.Name, p.HostPort, p.ContainerPort)
			}
			c.PortMappings = append(c.PortMappings, PortMapping{ContainerPort: uint16(p.ContainerPort), HostPort: uint16(p.HostPort), Protocol: p.Protocol})
		}
		for _, d := range wc.DependsOn {
			c.DependsOn = append(c.DependsOn, Dependency{ContainerName: d.ContainerName, Condition: d.Condition})
		}
		if wc.StopTimeout != nil {
			c.StopTimeout = time.Duration(*wc.StopTimeout) * time.Second
		}
		if ra := wc.RegistryAuthentication; ra != nil {
			c.RegistryAuthentication = &RegistryAuthentication{Type: ra.Type}
			if e := ra.ECRAuthData; e != nil {
				c.RegistryAuthentication.ECR = &ECRAuthData{RegistryID: e.RegistryID, Region: e.Region,
					EndpointOverride: e.EndpointOverride, UseExecutionRole: e.UseExecutionRole}
			}
		}
		if wc.Overrides != "" && wc.Overrides != "{}" {
			var o struct {
				Command []string `json:"command"`
			}
			if err := json.Unmarshal([]byte(wc.Overrides), &o); err != nil {
				return Task{}, fmt.Errorf("taskrunner: container %s: overrides: %w", wc.Name, err)
			}
			if o.Command != nil {
				c.Command = o.Command
			}
		}
		t.Containers = append(t.Containers, c)
	}
	return t, t.Validate()
}

func roleFromWire(w *wire.IAMRoleCredentials) *RoleCredentials {
	if w == nil {
		return nil
	}
	return &RoleCredentials{CredentialsID: w.CredentialsID, Credentials: creds.Credentials{
		RoleARN: w.RoleARN, AccessKeyID: w.AccessKeyID, SecretAccessKey: w.SecretAccessKey,
		SessionToken: w.SessionToken, Expiration: w.Expiration,
	}}
}
