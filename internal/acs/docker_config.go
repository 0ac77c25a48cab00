// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

const mib = 1 << 20

// hostConfig is the part of Docker's HostConfig the control plane renders
// (Docker Engine API field names).
type hostConfig struct {
	LogConfig         *logConfig        `json:"LogConfig,omitempty"`
	MemoryReservation int64             `json:"MemoryReservation,omitempty"`
	MemorySwap        int64             `json:"MemorySwap,omitempty"`
	MemorySwappiness  *int64            `json:"MemorySwappiness,omitempty"`
	Privileged        bool              `json:"Privileged,omitempty"`
	ReadonlyRootfs    bool              `json:"ReadonlyRootfs,omitempty"`
	DNS               []string          `json:"Dns,omitempty"`
	DNSSearch         []string          `json:"DnsSearch,omitempty"`
	ExtraHosts        []string          `json:"ExtraHosts,omitempty"`
	SecurityOpt       []string          `json:"SecurityOpt,omitempty"`
	Ulimits           []ulimit          `json:"Ulimits,omitempty"`
	CapAdd            []string          `json:"CapAdd,omitempty"`
	CapDrop           []string          `json:"CapDrop,omitempty"`
	Devices           []device          `json:"Devices,omitempty"`
	Init              *bool             `json:"Init,omitempty"`
	ShmSize           int64             `json:"ShmSize,omitempty"`
	Tmpfs             map[string]string `json:"Tmpfs,omitempty"`
	Sysctls           map[string]string `json:"Sysctls,omitempty"`
}

type logConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

type ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

type device struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// containerConfig is the part of Docker's container Config the control
// plane renders.
type containerConfig struct {
	Labels          map[string]string `json:"Labels,omitempty"`
	Healthcheck     *healthcheck      `json:"Healthcheck,omitempty"`
	User            string            `json:"User,omitempty"`
	WorkingDir      string            `json:"WorkingDir,omitempty"`
	Hostname        string            `json:"Hostname,omitempty"`
	Tty             bool              `json:"Tty,omitempty"`
	OpenStdin       bool              `json:"OpenStdin,omitempty"`
	NetworkDisabled bool              `json:"NetworkDisabled,omitempty"`
}

// healthcheck durations are nanoseconds, as Docker's API takes them.
type healthcheck struct {
	Test        []string `json:"Test"`
	Interval    int64    `json:"Interval"`
	Timeout     int64    `json:"Timeout"`
	Retries     int32    `json:"Retries"`
	StartPeriod int64    `json:"StartPeriod,omitempty"`
}

// dockerConfig renders what the agent only takes through dockerConfig:
// the log configuration (with awslogs-stream-prefix expanded into a
// concrete stream and awslogs-endpoint pointed at this control plane),
// memory reservation, privileges, Linux parameters, labels, health check,
// user and working directory.
func (r *renderer) dockerConfig(tc *taskContext, cd *ecsapi.ContainerDefinition, ov *ecsapi.ContainerOverride, memory int32) wire.DockerConfig {
	hc := hostConfig{
		Privileged:     boolv(cd.Privileged, false),
		ReadonlyRootfs: boolv(cd.ReadonlyRootFilesystem, false),
		DNS:            cd.DnsServers,
		DNSSearch:      cd.DnsSearchDomains,
		SecurityOpt:    cd.DockerSecurityOptions,
	}
	if mr := firstI32(ov.MemoryReservation, cd.MemoryReservation); mr != nil {
		hc.MemoryReservation = int64(*mr) * mib
	}
	if lc := cd.LogConfiguration; lc != nil {
		hc.LogConfig = r.logConfig(tc, str(cd.Name), lc)
	}
	for _, h := range cd.ExtraHosts {
		hc.ExtraHosts = append(hc.ExtraHosts, str(h.Hostname)+":"+str(h.IpAddress))
	}
	for _, u := range cd.Ulimits {
		hc.Ulimits = append(hc.Ulimits, ulimit{Name: str(u.Name), Soft: int64(i32(u.SoftLimit)), Hard: int64(i32(u.HardLimit))})
	}
	for _, s := range cd.SystemControls {
		if hc.Sysctls == nil {
			hc.Sysctls = map[string]string{}
		}
		hc.Sysctls[str(s.Namespace)] = str(s.Value)
	}
	if lp := cd.LinuxParameters; lp != nil {
		linuxParameters(&hc, lp, memory)
	}
	cc := containerConfig{
		Labels:          cd.DockerLabels,
		User:            str(cd.User),
		WorkingDir:      str(cd.WorkingDirectory),
		Hostname:        str(cd.Hostname),
		Tty:             boolv(cd.PseudoTerminal, false),
		OpenStdin:       boolv(cd.Interactive, false),
		NetworkDisabled: boolv(cd.DisableNetworking, false),
	}
	if h := cd.HealthCheck; h != nil {
		cc.Healthcheck = &healthcheck{
			Test:        h.Command,
			Interval:    seconds(h.Interval, 30),
			Timeout:     seconds(h.Timeout, 5),
			Retries:     i32(firstI32(h.Retries, ptr(int32(3)))),
			StartPeriod: seconds(h.StartPeriod, 0),
		}
	}
	return wire.DockerConfig{Config: marshalNonEmpty(cc), HostConfig: marshalNonEmpty(hc)}
}

// logConfig renders a container's logConfiguration. ECS's
// awslogs-stream-prefix is unknown to Docker: it becomes the stream
// prefix/container/task-id.
func (r *renderer) logConfig(tc *taskContext, container string, lc *ecsapi.LogConfiguration) *logConfig {
	out := &logConfig{Type: str(lc.LogDriver), Config: make(map[string]string, len(lc.Options)+2)}
	for k, v := range lc.Options {
		out.Config[k] = v
	}
	if out.Type != "awslogs" {
		return out
	}
	if p, ok := out.Config["awslogs-stream-prefix"]; ok {
		delete(out.Config, "awslogs-stream-prefix")
		out.Config["awslogs-stream"] = p + "/" + container + "/" + tc.taskID
	}
	if _, ok := out.Config["awslogs-endpoint"]; !ok {
		if ep := r.logsEndpoint; ep != "" {
			out.Config["awslogs-endpoint"] = ep
		} else if r.endpoint != "" {
			out.Config["awslogs-endpoint"] = r.endpoint
		}
	}
	if _, ok := out.Config["awslogs-region"]; !ok && tc.region != "" {
		out.Config["awslogs-region"] = tc.region
	}
	return out
}

// linuxParameters renders ECS linuxParameters into Docker's HostConfig.
func linuxParameters(hc *hostConfig, lp *ecsapi.LinuxParameters, memory int32) {
	if c := lp.Capabilities; c != nil {
		hc.CapAdd, hc.CapDrop = c.Add, c.Drop
	}
	for _, d := range lp.Devices {
		perms := strings.Join(d.Permissions, "")
		if perms == "" {
			perms = "rwm"
		}
		in := str(d.ContainerPath)
		if in == "" {
			in = str(d.HostPath)
		}
		hc.Devices = append(hc.Devices, device{PathOnHost: str(d.HostPath), PathInContainer: in, CgroupPermissions: perms})
	}
	hc.Init = lp.InitProcessEnabled
	if lp.SharedMemorySize != nil {
		hc.ShmSize = int64(*lp.SharedMemorySize) * mib
	}
	for _, t := range lp.Tmpfs {
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		opts := append(append([]string(nil), t.MountOptions...), "size="+strconv.Itoa(int(i32(t.Size)))+"m")
		hc.Tmpfs[str(t.ContainerPath)] = strings.Join(opts, ",")
	}
	if lp.MaxSwap != nil && memory > 0 {
		// Docker's MemorySwap is memory plus swap.
		hc.MemorySwap = (int64(memory) + int64(*lp.MaxSwap)) * mib
	}
	if lp.Swappiness != nil {
		v := int64(*lp.Swappiness)
		hc.MemorySwappiness = &v
	}
}

func seconds(p *int32, def int32) int64 {
	v := def
	if p != nil {
		v = *p
	}
	return int64(time.Duration(v) * time.Second)
}

func ptr[T any](v T) *T { return &v }

// marshalNonEmpty returns v as JSON, or "" when it has no members.
func marshalNonEmpty(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "{}" {
		return ""
	}
	return string(b)
}
