// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// renderer turns tasks into the ACS Task shape for one session.
type renderer struct {
	// endpoint is this control plane's URL as the agent reached it: the
	// ECR endpoint override and, unless logsEndpoint is set, the awslogs
	// endpoint.
	endpoint      string
	logsEndpoint  string
	registryHosts []string
}

// task renders t without credentials (the session adds them).
func (r *renderer) task(t *agentapi.Task) *wire.Task {
	def := t.Definition
	if def == nil {
		def = &ecsapi.TaskDefinition{}
	}
	ov := t.Overrides
	if ov == nil {
		ov = &ecsapi.TaskOverride{}
	}
	wt := &wire.Task{
		ARN:           t.TaskARN,
		Family:        str(def.Family),
		Version:       strconv.Itoa(int(i32(def.Revision))),
		DesiredStatus: t.DesiredStatus,
		NetworkMode:   str(def.NetworkMode),
		LaunchType:    "EC2",
		PIDMode:       str(def.PidMode),
		IPCMode:       str(def.IpcMode),
		Containers:    make([]*wire.Container, 0, len(def.ContainerDefinitions)),
		Volumes:       make([]*wire.Volume, 0, len(def.Volumes)),
	}
	if wt.NetworkMode == "" {
		wt.NetworkMode = "bridge"
	}
	if a, err := arn.Parse(str(def.TaskDefinitionArn)); err == nil {
		wt.TaskDefinitionAccountID = a.AccountID
	}
	if units, ok := parseCPU(firstStr(ov.Cpu, def.Cpu)); ok {
		v := float64(units) / 1024
		wt.CPU = &v
	}
	if mib, ok := parseMemory(firstStr(ov.Memory, def.Memory)); ok {
		wt.Memory = &mib
	}
	tc := taskContext{
		task:        t,
		taskID:      t.TaskARN[strings.LastIndexByte(t.TaskARN, '/')+1:],
		region:      regionOf(t.TaskARN),
		account:     accountOf(t.TaskARN),
		networkMode: wt.NetworkMode,
		execRole:    t.ExecutionRoleARN != "",
	}
	for i := range def.ContainerDefinitions {
		cd := &def.ContainerDefinitions[i]
		wt.Containers = append(wt.Containers, r.container(&tc, cd, containerOverride(ov, str(cd.Name))))
	}
	for _, v := range def.Volumes {
		wt.Volumes = append(wt.Volumes, volume(v))
	}
	return wt
}

// taskContext is what rendering a container needs to know of its task.
type taskContext struct {
	task        *agentapi.Task
	taskID      string
	region      string
	account     string
	networkMode string
	execRole    bool
}

func volume(v ecsapi.Volume) *wire.Volume {
	wv := &wire.Volume{Name: str(v.Name), Type: "host"}
	switch {
	case v.DockerVolumeConfiguration != nil:
		d := v.DockerVolumeConfiguration
		wv.Type = "docker"
		wv.DockerVolumeConfiguration = &wire.DockerVolumeConfiguration{
			Scope: str(d.Scope), Autoprovision: boolv(d.Autoprovision, false), Driver: str(d.Driver),
			DriverOpts: d.DriverOpts, Labels: d.Labels,
		}
	case v.Host != nil:
		wv.Host = &wire.HostVolumeProperties{SourcePath: str(v.Host.SourcePath)}
	default:
		wv.Host = &wire.HostVolumeProperties{}
	}
	return wv
}

func containerOverride(ov *ecsapi.TaskOverride, name string) *ecsapi.ContainerOverride {
	for i := range ov.ContainerOverrides {
		if str(ov.ContainerOverrides[i].Name) == name {
			return &ov.ContainerOverrides[i]
		}
	}
	return &ecsapi.ContainerOverride{}
}

// parseCPU reads a task-level cpu: CPU units ("256") or vCPUs ("1 vCPU",
// "0.5 vcpu").
func parseCPU(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, false
	}
	if v, ok := strings.CutSuffix(s, "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, false
		}
		return int64(f * 1024), true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// parseMemory reads a task-level memory in MiB ("512") or GB ("1 GB",
// "2gb").
func parseMemory(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, false
	}
	if v, ok := strings.CutSuffix(s, "gb"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, false
		}
		return int64(f * 1024), true
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, "mib"))
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// registryAuth returns ECR pull authentication for images of an ECR
// registry or of this control plane's registry (its own host, which
// serves the registry too, or RegistryHosts), nil for any other image.
func (r *renderer) registryAuth(image string, tc *taskContext) *wire.RegistryAuthentication {
	host, _, ok := strings.Cut(image, "/")
	if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" {
		return nil
	}
	auth := &wire.ECRAuthData{RegistryID: tc.account, Region: tc.region, EndpointOverride: r.endpoint, UseExecutionRole: tc.execRole}
	if m := ecrHost.FindStringSubmatch(host); m != nil {
		auth.RegistryID, auth.Region = m[1], m[2]
	} else if !containsFold(r.registryHosts, host) && !strings.EqualFold(host, hostOf(r.endpoint)) {
		return nil
	}
	return &wire.RegistryAuthentication{Type: "ecr", ECRAuthData: auth}
}

// hostOf returns the host[:port] of a URL.
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}

func regionOf(a string) string {
	p, _ := arn.Parse(a)
	return p.Region
}

func accountOf(a string) string {
	p, _ := arn.Parse(a)
	return p.AccountID
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstStr(ps ...*string) string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return *p
		}
	}
	return ""
}

func i32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func boolv(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
