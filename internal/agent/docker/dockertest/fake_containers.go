// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package dockertest

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/berthdev/berth/internal/agent/docker"
)

// ContainerCreate implements docker.Containers.
func (f *Fake) ContainerCreate(ctx context.Context, req docker.CreateRequest) (string, error) {
	if f.CreateErr != nil {
		if err := f.CreateErr(req); err != nil {
			return "", err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "create "+req.Name)
	if req.Config == nil {
		return "", fmt.Errorf("dockertest: create %s: no config", req.Name)
	}
	img, ok := f.local[req.Config.Image]
	if !ok {
		return "", fmt.Errorf("dockertest: create %s: no such image %s: %w", req.Name, req.Config.Image, docker.ErrNotFound)
	}
	if req.Name != "" && f.find(req.Name) != nil {
		return "", fmt.Errorf("dockertest: create %s: name in use", req.Name)
	}
	f.nextID++
	id := fmt.Sprintf("%064x", f.nextID)
	hc := req.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	}
	f.containers[id] = &Container{
		ID: id, Name: req.Name, Config: req.Config, HostConfig: hc,
		Status: "created", behavior: img.Behavior, done: make(chan struct{}),
	}
	return id, nil
}

// ContainerStart implements docker.Containers.
func (f *Fake) ContainerStart(ctx context.Context, id string) error {
	f.mu.Lock()
	c, err := f.get("start", id)
	if err != nil {
		f.mu.Unlock()
		return err
	}
	f.calls = append(f.calls, "start "+c.Name)
	startErr := f.StartErr
	f.mu.Unlock()
	if startErr != nil {
		if err := startErr(c.Name); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Status != "created" {
		return nil
	}
	c.Status = "running"
	c.StartedAt = time.Now()
	if c.Config.Healthcheck != nil && len(c.Config.Healthcheck.Test) > 0 {
		c.Health = "starting"
	}
	if c.HostConfig.NetworkMode != "host" {
		c.IP = fmt.Sprintf("172.17.%d.%d", (len(f.containers)+1)/250, (len(f.containers)+1)%250+2)
		c.Ports = nat.PortMap{}
		for port := range c.Config.ExposedPorts {
			var bound []nat.PortBinding
			for _, b := range c.HostConfig.PortBindings[port] {
				hp := b.HostPort
				if hp == "" || hp == "0" {
					hp = f.allocPort()
				}
				bound = append(bound, nat.PortBinding{HostIP: "0.0.0.0", HostPort: hp})
			}
			c.Ports[port] = bound
		}
	}
	if d := c.behavior.RunFor; d > 0 {
		code := c.behavior.ExitCode
		time.AfterFunc(d, func() { f.Exit(c.ID, code) })
	}
	return nil
}

// ContainerStop implements docker.Containers.
func (f *Fake) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	c, err := f.get("stop", id)
	if err != nil {
		f.mu.Unlock()
		return err
	}
	f.calls = append(f.calls, fmt.Sprintf("stop %s %s", c.Name, timeout))
	if c.Status != "running" {
		f.mu.Unlock()
		return nil
	}
	c.Signals = append(c.Signals, "SIGTERM")
	if !c.behavior.IgnoreTerm {
		f.exitLocked(c, termCode(c.behavior))
		f.mu.Unlock()
		return nil
	}
	done := c.done
	f.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
	case <-ctx.Done():
		return ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Signals = append(c.Signals, "SIGKILL")
	f.exitLocked(c, 137)
	return nil
}

func termCode(b Behavior) int {
	if b.TermExitCode != 0 {
		return b.TermExitCode
	}
	return 143
}

// ContainerKill implements docker.Containers.
func (f *Fake) ContainerKill(ctx context.Context, id, signal string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("kill", id)
	if err != nil {
		return err
	}
	f.calls = append(f.calls, "kill "+c.Name+" "+signal)
	if c.Status != "running" {
		return fmt.Errorf("dockertest: kill %s: container is not running", c.Name)
	}
	c.Signals = append(c.Signals, signal)
	switch signal {
	case "SIGKILL", "KILL", "9":
		f.exitLocked(c, 137)
	case "SIGTERM", "TERM", "15":
		if !c.behavior.IgnoreTerm {
			f.exitLocked(c, termCode(c.behavior))
		}
	}
	return nil
}

// ContainerRemove implements docker.Containers.
func (f *Fake) ContainerRemove(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.find(id)
	if c == nil {
		return nil
	}
	f.calls = append(f.calls, "remove "+c.Name)
	f.exitLocked(c, 137)
	delete(f.containers, c.ID)
	return nil
}

// ContainerInspect implements docker.Containers.
func (f *Fake) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("inspect", id)
	if err != nil {
		return container.InspectResponse{}, err
	}
	st := &container.State{
		Status: container.ContainerState(c.Status), Running: c.Status == "running",
		ExitCode: c.ExitCode, StartedAt: fmtTime(c.StartedAt), FinishedAt: fmtTime(c.FinishedAt),
	}
	if c.Health != "" {
		st.Health = &container.Health{Status: container.HealthStatus(c.Health)}
	}
	ns := &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{}}
	ns.Ports = c.Ports
	if c.IP != "" && c.Status == "running" {
		mode := string(c.HostConfig.NetworkMode)
		if mode == "" || mode == "default" {
			mode = "bridge"
		}
		ns.Networks[mode] = &network.EndpointSettings{IPAddress: c.IP, Gateway: "172.17.0.1", IPPrefixLen: 16}
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: c.ID, Name: "/" + c.Name, Image: f.local[c.Config.Image].ID, State: st, HostConfig: c.HostConfig,
			Created: fmtTime(c.StartedAt),
		},
		Config:          c.Config,
		NetworkSettings: ns,
	}, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ContainerList implements docker.Containers.
func (f *Fake) ContainerList(ctx context.Context, labels map[string]string) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
next:
	for _, c := range f.containers {
		for k, v := range labels {
			got, ok := c.Config.Labels[k]
			if !ok || v != "" && got != v {
				continue next
			}
		}
		out = append(out, container.Summary{
			ID: c.ID, Names: []string{"/" + c.Name}, Image: c.Config.Image, Labels: c.Config.Labels,
			State: container.ContainerState(c.Status),
		})
	}
	return out, nil
}

// ContainerWait implements docker.Containers.
func (f *Fake) ContainerWait(ctx context.Context, id string) (docker.WaitResult, error) {
	f.mu.Lock()
	c, err := f.get("wait", id)
	if err != nil {
		f.mu.Unlock()
		return docker.WaitResult{}, err
	}
	done := c.done
	f.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return docker.WaitResult{}, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return docker.WaitResult{ExitCode: int64(c.ExitCode)}, nil
}
