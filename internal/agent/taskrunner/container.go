// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/logkey"
)

// startResult is what a start goroutine reports.
type startResult struct {
	dockerID, dockerName     string
	err                      error
	reason                   string // ECS-style reason when err != nil
	pullStarted, pullStopped time.Time
	info                     inspected
}

// inspected is what the runner reads back from a started container.
type inspected struct {
	imageID, imageDigest string
	bindings             []NetworkBinding
	ips                  []netip.Addr
	networkMode          string
	labels               map[string]string
	logDriver            string
	logOptions           map[string]string
	hasHealth            bool
	health               string
	createdAt, startedAt time.Time
}

// exitResult is how a container stopped.
type exitResult struct {
	code       *int
	reason     string
	finishedAt time.Time
}

// start pulls, creates and starts container c of t and reports an
// evStarted event. ctx is cancelled when the task starts stopping.
func (tr *taskRunner) start(ctx context.Context, t *Task, c *Container, endpointID string) {
	res := &startResult{}
	defer func() { tr.send(event{kind: evStarted, name: c.Name, start: res}) }()
	d := tr.r.deps.Docker
	if err := tr.pull(ctx, t, c, res); err != nil {
		res.err, res.reason = err, "CannotPullContainerError: "+err.Error()
		return
	}
	req, err := tr.r.buildCreate(t, c, endpointID)
	if err == nil {
		for _, h := range tr.r.hooks {
			if p, ok := h.(Prestarter); ok {
				if err = p.Prestart(ctx, req); err != nil {
					err = fmt.Errorf("%s hook: %w", h.Name(), err)
					break
				}
			}
		}
	}
	if err != nil {
		res.err, res.reason = err, "CannotCreateContainerError: "+err.Error()
		return
	}
	req.Config.Env = envList(req.Env)
	name := dockerName(t, c)
	id, err := d.ContainerCreate(ctx, docker.CreateRequest{Name: name, Config: req.Config, HostConfig: req.HostConfig})
	if err != nil {
		res.err, res.reason = err, "CannotCreateContainerError: "+err.Error()
		return
	}
	res.dockerID, res.dockerName = id, name
	if err := d.ContainerStart(ctx, id); err != nil {
		res.err, res.reason = err, "CannotStartContainerError: "+err.Error()
		return
	}
	// Started: from here on the container runs whatever happens to ctx.
	ictx, cancel := context.WithTimeout(tr.r.ctx, time.Minute)
	defer cancel()
	ins, err := d.ContainerInspect(ictx, id)
	if err != nil {
		tr.log.Warn("inspecting a started container", logkey.ContainerID, id, logkey.Err, err)
		return
	}
	res.info = readInspect(t, c, ins)
	info := &ContainerInfo{Name: c.Name, DockerID: id, IPs: res.info.ips, HostNetwork: t.HostNetwork()}
	for _, h := range tr.r.hooks {
		if p, ok := h.(Poststarter); ok {
			p.Poststart(ictx, t, info)
		}
	}
}

// pull fetches c's image according to the pull behaviour. As the ECS
// agent does, every behaviour but "always" falls back to a local copy of
// the image when the pull fails, a failure to get the registry
// credentials included.
func (tr *taskRunner) pull(ctx context.Context, t *Task, c *Container, res *startResult) error {
	d := tr.r.deps.Docker
	_, inspectErr := d.ImageInspect(ctx, c.Image)
	local := inspectErr == nil
	switch tr.r.cfg.PullBehavior {
	case PullPreferCached:
		if local {
			return nil
		}
	case PullOnce:
		if local && tr.r.pulledBefore(c.Image) {
			return nil
		}
	}
	auth, err := tr.registryAuth(ctx, t, c)
	if err == nil {
		res.pullStarted = time.Now()
		err = d.ImagePull(ctx, c.Image, auth)
		res.pullStopped = time.Now()
		if err == nil {
			tr.r.markPulled(c.Image)
			return nil
		}
	}
	if tr.r.cfg.PullBehavior != PullAlways && local && ctx.Err() == nil {
		tr.log.Warn("pull failed; using the local image", "image", c.Image, logkey.Err, err)
		return nil
	}
	return err
}

// registryAuth resolves the credentials c's pull needs: nil for a public
// image.
func (tr *taskRunner) registryAuth(ctx context.Context, t *Task, c *Container) (*docker.RegistryAuth, error) {
	if c.RegistryAuthentication == nil {
		return nil, nil
	}
	if tr.r.deps.Auth == nil {
		return nil, errors.New("registry authentication requested but the agent has no resolver")
	}
	a, err := tr.r.deps.Auth.RegistryAuth(ctx, t, c)
	if err != nil {
		return nil, fmt.Errorf("registry authentication: %w", err)
	}
	return a, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	if t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

func readInspect(t *Task, c *Container, ins container.InspectResponse) inspected {
	var in inspected
	if ins.ContainerJSONBase != nil {
		in.imageID = ins.Image
		if ins.State != nil {
			in.startedAt = parseTime(ins.State.StartedAt)
			if ins.State.Health != nil {
				in.health = string(ins.State.Health.Status)
			}
		}
		in.createdAt = parseTime(ins.Created)
		if ins.HostConfig != nil {
			in.logDriver, in.logOptions = ins.HostConfig.LogConfig.Type, ins.HostConfig.LogConfig.Config
			in.networkMode = string(ins.HostConfig.NetworkMode)
		}
	}
	if ins.Config != nil {
		in.labels = ins.Config.Labels
		in.hasHealth = ins.Config.Healthcheck != nil && len(ins.Config.Healthcheck.Test) > 0 && ins.Config.Healthcheck.Test[0] != "NONE"
	}
	if ns := ins.NetworkSettings; ns != nil {
		in.bindings = bindings(t, c, ns.Ports)
		for _, ep := range ns.Networks {
			if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
				in.ips = append(in.ips, a)
			}
		}
	}
	if in.networkMode == "default" {
		in.networkMode = "bridge"
	}
	if d := ins.ImageManifestDescriptor; d != nil {
		in.imageDigest = d.Digest.String()
	}
	return in
}

// wait watches a running container until it exits and reports evExited.
// It returns silently when ctx ends (the runner closed).
func (tr *taskRunner) wait(ctx context.Context, name, id string) {
	d := tr.r.deps.Docker
	for {
		w, err := d.ContainerWait(ctx, id)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			code := int(w.ExitCode)
			res := &exitResult{code: &code, finishedAt: time.Now()}
			ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if ins, err := d.ContainerInspect(ictx, id); err == nil && ins.ContainerJSONBase != nil && ins.State != nil {
				if f := parseTime(ins.State.FinishedAt); !f.IsZero() {
					res.finishedAt = f
				}
				if ins.State.OOMKilled {
					res.reason = "OutOfMemoryError: Container killed due to memory usage"
				}
			}
			cancel()
			tr.send(event{kind: evExited, name: name, exit: res})
			return
		case errors.Is(err, docker.ErrNotFound):
			tr.send(event{kind: evExited, name: name, exit: &exitResult{reason: "DockerStateError: container removed outside the agent", finishedAt: time.Now()}})
			return
		}
		tr.log.Warn("waiting for a container; retrying", logkey.ContainerID, id, logkey.Err, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// stopContainer stops a container (SIGTERM, SIGKILL after timeout); its
// exit is reported by wait.
func (tr *taskRunner) stopContainer(name, id string, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(tr.r.ctx, timeout+time.Minute)
	defer cancel()
	err := tr.r.deps.Docker.ContainerStop(ctx, id, timeout)
	if err == nil || tr.r.ctx.Err() != nil || errors.Is(err, docker.ErrNotFound) {
		return
	}
	tr.log.Warn("stopping container; killing it", logkey.ContainerID, id, "container", name, logkey.Err, err)
	if err := tr.r.deps.Docker.ContainerKill(ctx, id, "SIGKILL"); err != nil && !strings.Contains(err.Error(), "not running") {
		tr.log.Error("killing container", logkey.ContainerID, id, logkey.Err, err)
	}
}

// pollHealth refreshes the health status of running containers that have
// a health check.
func (tr *taskRunner) pollHealth(ctx context.Context) {
	for _, c := range tr.containers {
		if c.status != StatusRunning || !c.hasHealth || c.polling {
			continue
		}
		c.polling = true
		go func(name, id string) {
			ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			status := ""
			if ins, err := tr.r.deps.Docker.ContainerInspect(ictx, id); err == nil && ins.ContainerJSONBase != nil && ins.State != nil && ins.State.Health != nil {
				status = string(ins.State.Health.Status)
			}
			tr.send(event{kind: evHealth, name: name, health: status})
		}(c.spec.Name, c.dockerID)
	}
}
