// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
)

const mib = 1 << 20

var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dockerName is the container name, as the ECS agent names them:
// ecs-<family>-<version>-<container>-<random>.
func dockerName(t *Task, c *Container) string {
	return nameUnsafe.ReplaceAllString("ecs-"+t.Family+"-"+t.Version+"-"+c.Name, "-") + "-" + randomHex(6)
}

// buildCreate computes the Docker configuration of container c of t: the
// dockerConfig overlay first, then the native fields over it, then the
// runner's labels. Hooks adjust it afterwards.
func (r *Runner) buildCreate(t *Task, c *Container, endpointID string) (*CreateRequest, error) {
	cfg := &container.Config{}
	hc := &container.HostConfig{}
	if s := c.DockerConfig.Config; s != "" {
		if err := json.Unmarshal([]byte(s), cfg); err != nil {
			return nil, fmt.Errorf("dockerConfig.config: %w", err)
		}
	}
	if s := c.DockerConfig.HostConfig; s != "" {
		if err := json.Unmarshal([]byte(s), hc); err != nil {
			return nil, fmt.Errorf("dockerConfig.hostConfig: %w", err)
		}
	}
	cfg.Image = c.Image
	if c.Command != nil {
		cfg.Cmd = c.Command
	}
	if c.EntryPoint != nil {
		cfg.Entrypoint = c.EntryPoint
	}
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	labels[LabelTaskARN] = t.ARN
	labels[LabelContainerName] = c.Name
	labels[LabelCluster] = r.cfg.Cluster
	labels[LabelFamily] = t.Family
	labels[LabelVersion] = t.Version
	cfg.Labels = labels

	env := map[string]string{}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range c.Environment {
		env[k] = v
	}

	switch t.NetworkMode {
	case "host":
		hc.NetworkMode = "host"
	case "none":
		hc.NetworkMode = "none"
	default:
		hc.NetworkMode = "bridge"
	}
	if len(c.PortMappings) > 0 {
		cfg.ExposedPorts = nat.PortSet{}
		if hc.NetworkMode == "bridge" {
			hc.PortBindings = nat.PortMap{}
		}
		for _, p := range c.PortMappings {
			port := nat.Port(strconv.Itoa(int(p.ContainerPort)) + "/" + protocol(p.Protocol))
			cfg.ExposedPorts[port] = struct{}{}
			if hc.PortBindings != nil {
				hp := ""
				if p.HostPort != 0 {
					hp = strconv.Itoa(int(p.HostPort))
				}
				hc.PortBindings[port] = append(hc.PortBindings[port], nat.PortBinding{HostPort: hp})
			}
		}
	}
	hc.CPUShares = max(c.CPU, 2)
	if c.Memory > 0 {
		hc.Memory = c.Memory * mib
	}
	if c.MemoryReservation > 0 {
		hc.MemoryReservation = c.MemoryReservation * mib
	}
	secs := int(math.Ceil(r.stopTimeout(c).Seconds()))
	cfg.StopTimeout = &secs
	return &CreateRequest{Task: t, Container: c, EndpointID: endpointID, Env: env, Config: cfg, HostConfig: hc}, nil
}

func protocol(p string) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(p)
}

// envList renders an environment map as sorted KEY=VALUE strings.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// bindings reads the published ports from an inspected container's port
// map (IPv6 bindings are left out, as the ECS agent does by default).
func bindings(t *Task, c *Container, ports nat.PortMap) []NetworkBinding {
	var out []NetworkBinding
	for _, p := range c.PortMappings {
		proto := protocol(p.Protocol)
		if t.HostNetwork() {
			out = append(out, NetworkBinding{BindIP: "0.0.0.0", ContainerPort: p.ContainerPort, HostPort: p.ContainerPort, Protocol: proto})
			continue
		}
		for _, b := range ports[nat.Port(strconv.Itoa(int(p.ContainerPort))+"/"+proto)] {
			if strings.Contains(b.HostIP, ":") {
				continue
			}
			hp, err := strconv.Atoi(b.HostPort)
			if err != nil {
				continue
			}
			ip := b.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			out = append(out, NetworkBinding{BindIP: ip, ContainerPort: p.ContainerPort, HostPort: uint16(hp), Protocol: proto})
		}
	}
	return out
}
