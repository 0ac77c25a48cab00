// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

func s(v string) *string { return &v }
func n(v int32) *int32   { return &v }
func b(v bool) *bool     { return &v }

const taskARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"

// TestRenderer_Task renders a task definition with overrides into the ACS
// Task shape, field by field as the agent reads it.
func TestRenderer_Task(t *testing.T) {
	task := &agentapi.Task{
		TaskARN:          taskARN,
		DesiredStatus:    "RUNNING",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/exec",
		Definition: &ecsapi.TaskDefinition{
			TaskDefinitionArn: s("arn:aws:ecs:us-east-1:123456789012:task-definition/web:12"),
			Family:            s("web"),
			Revision:          n(12),
			Cpu:               s("0.5 vCPU"),
			Memory:            s("1 GB"),
			Volumes: []ecsapi.Volume{
				{Name: s("data"), Host: &ecsapi.HostVolumeProperties{SourcePath: s("/srv/data")}},
				{Name: s("scratch")},
				{Name: s("named"), DockerVolumeConfiguration: &ecsapi.DockerVolumeConfiguration{Scope: s("shared"), Autoprovision: b(true), Driver: s("local")}},
			},
			ContainerDefinitions: []ecsapi.ContainerDefinition{{
				Name:              s("web"),
				Image:             s("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"),
				Cpu:               n(256),
				Memory:            n(512),
				MemoryReservation: n(256),
				EntryPoint:        []string{"/bin/sh", "-c"},
				Command:           []string{"serve"},
				Environment:       []ecsapi.KeyValuePair{{Name: s("A"), Value: s("1")}, {Name: s("B"), Value: s("2")}},
				PortMappings: []ecsapi.PortMapping{
					{ContainerPort: n(80)},
					{ContainerPort: n(53), Protocol: s("udp"), HostPort: n(5353)},
				},
				MountPoints: []ecsapi.MountPoint{{SourceVolume: s("data"), ContainerPath: s("/data"), ReadOnly: b(true)}},
				VolumesFrom: []ecsapi.VolumeFrom{{SourceContainer: s("sidecar")}},
				DependsOn:   []ecsapi.ContainerDependency{{ContainerName: s("sidecar"), Condition: s("START")}},
				Secrets:     []ecsapi.Secret{{Name: s("DB"), ValueFrom: s("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db")}, {Name: s("P"), ValueFrom: s("param")}},
				LogConfiguration: &ecsapi.LogConfiguration{LogDriver: s("awslogs"), Options: map[string]string{
					"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "ecs",
				}},
				HealthCheck:      &ecsapi.HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: n(10)},
				DockerLabels:     map[string]string{"team": "core"},
				User:             s("1000"),
				WorkingDirectory: s("/app"),
				Privileged:       b(true),
				StopTimeout:      n(20),
				LinuxParameters:  &ecsapi.LinuxParameters{Capabilities: &ecsapi.KernelCapabilities{Add: []string{"NET_ADMIN"}}, InitProcessEnabled: b(true)},
				ExtraHosts:       []ecsapi.HostEntry{{Hostname: s("db"), IpAddress: s("10.0.0.5")}},
			}, {
				Name: s("sidecar"), Image: s("busybox"), Essential: b(false),
			}},
		},
		Overrides: &ecsapi.TaskOverride{ContainerOverrides: []ecsapi.ContainerOverride{{
			Name: s("web"), Command: []string{"serve", "--debug"}, Environment: []ecsapi.KeyValuePair{{Name: s("B"), Value: s("override")}},
			Memory: n(600),
		}}},
		HostPorts: map[string]int32{"web/80/tcp": 32801},
	}
	r := &renderer{endpoint: "http://127.0.0.1:4566"}
	got := r.task(task)

	cpu, mem := 0.5, int64(1024)
	want := &wire.Task{
		ARN: taskARN, Family: "web", Version: "12", DesiredStatus: "RUNNING", NetworkMode: "bridge", LaunchType: "EC2",
		CPU: &cpu, Memory: &mem, TaskDefinitionAccountID: "123456789012",
		Volumes: []*wire.Volume{
			{Name: "data", Type: "host", Host: &wire.HostVolumeProperties{SourcePath: "/srv/data"}},
			{Name: "scratch", Type: "host", Host: &wire.HostVolumeProperties{}},
			{Name: "named", Type: "docker", DockerVolumeConfiguration: &wire.DockerVolumeConfiguration{Scope: "shared", Autoprovision: true, Driver: "local"}},
		},
		Containers: []*wire.Container{{
			Name: "web", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1", CPU: 256, Memory: 600, Essential: true,
			EntryPoint: []string{"/bin/sh", "-c"}, Command: []string{"serve"},
			Environment: map[string]string{"A": "1", "B": "override"},
			PortMappings: []wire.PortMapping{
				{ContainerPort: 80, HostPort: 32801, Protocol: "tcp"},
				{ContainerPort: 53, HostPort: 5353, Protocol: "udp"},
			},
			MountPoints: []wire.MountPoint{{SourceVolume: "data", ContainerPath: "/data", ReadOnly: true}},
			VolumesFrom: []wire.VolumeFrom{{SourceContainer: "sidecar"}},
			DependsOn:   []wire.ContainerDependency{{ContainerName: "sidecar", Condition: "START"}},
			Secrets: []wire.Secret{
				{Name: "DB", ValueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", Provider: "asm", Type: "ENVIRONMENT", Region: "eu-west-1"},
				{Name: "P", ValueFrom: "param", Provider: "ssm", Type: "ENVIRONMENT", Region: "us-east-1"},
			},
			Overrides: `{"command":["serve","--debug"]}`,
			RegistryAuthentication: &wire.RegistryAuthentication{Type: "ecr", ECRAuthData: &wire.ECRAuthData{
				RegistryID: "123456789012", Region: "us-east-1", EndpointOverride: "http://127.0.0.1:4566", UseExecutionRole: true}},
			LogsAuthStrategy: "ExecutionRole", HealthCheckType: "docker", StopTimeout: n(20),
		}, {
			Name: "sidecar", Image: "busybox", Essential: false, Environment: map[string]string{},
			PortMappings: []wire.PortMapping{}, MountPoints: []wire.MountPoint{}, VolumesFrom: []wire.VolumeFrom{}, Overrides: "{}",
		}},
	}
	// The docker documents are compared decoded.
	hostConfigs := []string{got.Containers[0].DockerConfig.HostConfig, got.Containers[1].DockerConfig.HostConfig}
	configs := []string{got.Containers[0].DockerConfig.Config, got.Containers[1].DockerConfig.Config}
	for _, c := range got.Containers {
		c.DockerConfig = wire.DockerConfig{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	wantHost := map[string]any{
		"LogConfig": map[string]any{"Type": "awslogs", "Config": map[string]any{
			"awslogs-group": "/ecs/web", "awslogs-stream": "ecs/web/0123456789abcdef0123456789abcdef",
			"awslogs-endpoint": "http://127.0.0.1:4566", "awslogs-region": "us-east-1",
		}},
		"MemoryReservation": float64(256 << 20), "Privileged": true, "CapAdd": []any{"NET_ADMIN"}, "Init": true,
		"ExtraHosts": []any{"db:10.0.0.5"},
	}
	wantConfig := map[string]any{
		"Labels": map[string]any{"team": "core"}, "User": "1000", "WorkingDir": "/app",
		"Healthcheck": map[string]any{"Test": []any{"CMD-SHELL", "true"}, "Interval": float64(10e9), "Timeout": float64(5e9), "Retries": float64(3)},
	}
	if diff := cmp.Diff(wantHost, decodeJSON(t, hostConfigs[0])); diff != "" {
		t.Errorf("hostConfig (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantConfig, decodeJSON(t, configs[0])); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if hostConfigs[1] != "" || configs[1] != "" {
		t.Errorf("plain container docker config = %q / %q, want none", hostConfigs[1], configs[1])
	}
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return m
}

func TestParseCPUAndMemory(t *testing.T) {
	tests := []struct {
		in        string
		cpu, mem  int64
		cpuOK, ok bool
	}{
		{"256", 256, 256, true, true},
		{"1 vCPU", 1024, 0, true, false},
		{"0.25 vcpu", 256, 0, true, false},
		{"2GB", 0, 2048, false, true},
		{"1 GB", 0, 1024, false, true},
		{"", 0, 0, false, false},
		{"x", 0, 0, false, false},
	}
	for _, tc := range tests {
		cpu, cok := parseCPU(tc.in)
		mem, mok := parseMemory(tc.in)
		if cpu != tc.cpu || cok != tc.cpuOK || mem != tc.mem || mok != tc.ok {
			t.Errorf("%q: cpu %d %v, memory %d %v; want %d %v, %d %v", tc.in, cpu, cok, mem, mok, tc.cpu, tc.cpuOK, tc.mem, tc.ok)
		}
	}
}

func TestRenderer_RegistryAuth(t *testing.T) {
	r := &renderer{endpoint: "http://cp:4566", registryHosts: []string{"registry.internal:5000"}}
	tc := &taskContext{account: "123456789012", region: "us-east-1"}
	tests := []struct {
		image string
		want  *wire.RegistryAuthentication
	}{
		{"busybox", nil},
		{"docker.io/library/busybox", nil},
		{"cp:4566/web:1", &wire.RegistryAuthentication{Type: "ecr", ECRAuthData: &wire.ECRAuthData{RegistryID: "123456789012", Region: "us-east-1", EndpointOverride: "http://cp:4566"}}},
		{"registry.internal:5000/web:1", &wire.RegistryAuthentication{Type: "ecr", ECRAuthData: &wire.ECRAuthData{RegistryID: "123456789012", Region: "us-east-1", EndpointOverride: "http://cp:4566"}}},
		{"other:5000/web:1", nil},
		{"210987654321.dkr.ecr.eu-west-1.amazonaws.com/x", &wire.RegistryAuthentication{Type: "ecr", ECRAuthData: &wire.ECRAuthData{RegistryID: "210987654321", Region: "eu-west-1", EndpointOverride: "http://cp:4566"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, r.registryAuth(tt.image, tc)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.image, diff)
		}
	}
}
