// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"encoding/json"
	"strings"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// container renders one container definition with its run overrides. The
// agent handles the fields of the ACS Container shape natively; the rest
// goes pre-rendered into dockerConfig.
func (r *renderer) container(tc *taskContext, cd *ecsapi.ContainerDefinition, ov *ecsapi.ContainerOverride) *wire.Container {
	name := str(cd.Name)
	c := &wire.Container{
		Name:         name,
		Image:        str(cd.Image),
		CPU:          i32(firstI32(ov.Cpu, cd.Cpu)),
		Memory:       i32(firstI32(ov.Memory, cd.Memory)),
		Essential:    boolv(cd.Essential, true),
		Command:      cd.Command,
		EntryPoint:   cd.EntryPoint,
		Environment:  make(map[string]string, len(cd.Environment)+len(ov.Environment)),
		PortMappings: make([]wire.PortMapping, 0, len(cd.PortMappings)),
		Links:        cd.Links,
		MountPoints:  make([]wire.MountPoint, 0, len(cd.MountPoints)),
		VolumesFrom:  make([]wire.VolumeFrom, 0, len(cd.VolumesFrom)),
		Overrides:    "{}",
		StartTimeout: cd.StartTimeout,
		StopTimeout:  cd.StopTimeout,
	}
	for _, kv := range cd.Environment {
		c.Environment[str(kv.Name)] = str(kv.Value)
	}
	for _, kv := range ov.Environment {
		c.Environment[str(kv.Name)] = str(kv.Value)
	}
	for _, f := range append(append([]ecsapi.EnvironmentFile(nil), cd.EnvironmentFiles...), ov.EnvironmentFiles...) {
		c.EnvironmentFiles = append(c.EnvironmentFiles, wire.EnvironmentFile{Value: str(f.Value), Type: str(f.Type)})
	}
	for _, pm := range cd.PortMappings {
		c.PortMappings = append(c.PortMappings, portMapping(tc, name, pm))
	}
	for _, m := range cd.MountPoints {
		c.MountPoints = append(c.MountPoints, wire.MountPoint{SourceVolume: str(m.SourceVolume), ContainerPath: str(m.ContainerPath), ReadOnly: boolv(m.ReadOnly, false)})
	}
	for _, v := range cd.VolumesFrom {
		c.VolumesFrom = append(c.VolumesFrom, wire.VolumeFrom{SourceContainer: str(v.SourceContainer), ReadOnly: boolv(v.ReadOnly, false)})
	}
	for _, d := range cd.DependsOn {
		c.DependsOn = append(c.DependsOn, wire.ContainerDependency{ContainerName: str(d.ContainerName), Condition: str(d.Condition)})
	}
	for _, s := range cd.Secrets {
		c.Secrets = append(c.Secrets, secret(tc, s))
	}
	if ov.Command != nil {
		b, _ := json.Marshal(struct {
			Command []string `json:"command"`
		}{ov.Command})
		c.Overrides = string(b)
	}
	c.RegistryAuthentication = r.registryAuth(c.Image, tc)
	if lc := cd.LogConfiguration; lc != nil && str(lc.LogDriver) == "awslogs" && tc.execRole {
		c.LogsAuthStrategy = "ExecutionRole"
	}
	if cd.HealthCheck != nil {
		c.HealthCheckType = "docker"
	}
	if fc := cd.FirelensConfiguration; fc != nil {
		c.FirelensConfiguration = &wire.FirelensConfiguration{Type: str(fc.Type), Options: fc.Options}
	}
	c.DockerConfig = r.dockerConfig(tc, cd, ov, c.Memory)
	return c
}

// portMapping resolves a mapping's host port: the port the scheduler
// reserved, else the definition's (0 = dynamic), else, in host mode, the
// container port.
func portMapping(tc *taskContext, container string, pm ecsapi.PortMapping) wire.PortMapping {
	proto := strings.ToLower(str(pm.Protocol))
	if proto == "" {
		proto = "tcp"
	}
	w := wire.PortMapping{ContainerPort: i32(pm.ContainerPort), ContainerPortRange: str(pm.ContainerPortRange), Protocol: proto}
	if hp, ok := tc.task.HostPorts[agentapi.HostPortKey(container, w.ContainerPort, proto)]; ok {
		w.HostPort = hp
	} else {
		w.HostPort = i32(pm.HostPort)
	}
	if w.HostPort == 0 && tc.networkMode == "host" {
		w.HostPort = w.ContainerPort
	}
	return w
}

// secret renders a container secret: Secrets Manager ARNs are "asm",
// everything else an SSM parameter.
func secret(tc *taskContext, s ecsapi.Secret) wire.Secret {
	from := str(s.ValueFrom)
	w := wire.Secret{Name: str(s.Name), ValueFrom: from, Provider: "ssm", Type: "ENVIRONMENT", Region: tc.region}
	if a, err := arn.Parse(from); err == nil {
		w.Region = a.Region
		if a.Service == "secretsmanager" {
			w.Provider = "asm"
		}
	}
	return w
}

func firstI32(ps ...*int32) *int32 {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}
