// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
)

// Config configures an Engine.
type Config struct {
	// Host is the daemon address, e.g. unix:///var/run/docker.sock; empty
	// means DOCKER_HOST or the platform default.
	Host string
}

// Engine is a Client over the Docker Engine API. It negotiates the API
// version with the daemon on first use and is safe for concurrent use.
type Engine struct {
	cli *client.Client
}

var (
	_ Client      = (*Engine)(nil)
	_ StatsReader = (*Engine)(nil)
)

// New returns an Engine for cfg. It does not contact the daemon: use Ping.
func New(cfg Config) (*Engine, error) {
	opts := []client.Opt{client.WithAPIVersionNegotiation()}
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	} else {
		opts = append(opts, client.WithHostFromEnv())
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: client: %w", err)
	}
	return &Engine{cli: cli}, nil
}

// Close releases the client's idle connections.
func (e *Engine) Close() error { return e.cli.Close() }

// Ping checks that the daemon answers and returns its API version.
func (e *Engine) Ping(ctx context.Context) (string, error) {
	p, err := e.cli.Ping(ctx)
	if err != nil {
		return "", wrap("ping", err)
	}
	return p.APIVersion, nil
}

// wrap adds the operation to err and makes not-found errors match
// ErrNotFound.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: %s: %w: %w", op, ErrNotFound, err)
	}
	return fmt.Errorf("docker: %s: %w", op, err)
}

// ImagePull implements Images.
func (e *Engine) ImagePull(ctx context.Context, ref string, auth *RegistryAuth) error {
	var opts image.PullOptions
	if auth != nil {
		enc, err := encodeAuth(auth)
		if err != nil {
			return err
		}
		opts.RegistryAuth = enc
	}
	rc, err := e.cli.ImagePull(ctx, ref, opts)
	if err != nil {
		return wrap("pull "+ref, err)
	}
	defer rc.Close()
	return wrap("pull "+ref, readProgress(rc))
}

func encodeAuth(a *RegistryAuth) (string, error) {
	b, err := json.Marshal(registry.AuthConfig{Username: a.Username, Password: a.Password, ServerAddress: a.ServerAddress})
	if err != nil {
		return "", fmt.Errorf("docker: encode registry auth: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// readProgress drains a pull or build stream of JSON messages and returns
// the first error it reports.
func readProgress(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// ImageInspect implements Images.
func (e *Engine) ImageInspect(ctx context.Context, ref string) (image.InspectResponse, error) {
	r, err := e.cli.ImageInspect(ctx, ref)
	return r, wrap("inspect image "+ref, err)
}

// ContainerCreate implements Containers.
func (e *Engine) ContainerCreate(ctx context.Context, req CreateRequest) (string, error) {
	r, err := e.cli.ContainerCreate(ctx, req.Config, req.HostConfig, req.Networking, nil, req.Name)
	if err != nil {
		return "", wrap("create "+req.Name, err)
	}
	return r.ID, nil
}

// ContainerStart implements Containers.
func (e *Engine) ContainerStart(ctx context.Context, id string) error {
	return wrap("start "+short(id), e.cli.ContainerStart(ctx, id, container.StartOptions{}))
}

// ContainerStop implements Containers.
func (e *Engine) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	secs := int(math.Ceil(timeout.Seconds()))
	return wrap("stop "+short(id), e.cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}))
}

// ContainerKill implements Containers.
func (e *Engine) ContainerKill(ctx context.Context, id, signal string) error {
	return wrap("kill "+short(id), e.cli.ContainerKill(ctx, id, signal))
}

// ContainerRemove implements Containers.
func (e *Engine) ContainerRemove(ctx context.Context, id string) error {
	err := e.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return wrap("remove "+short(id), err)
}

// ContainerInspect implements Containers.
func (e *Engine) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	r, err := e.cli.ContainerInspect(ctx, id)
	return r, wrap("inspect "+short(id), err)
}

// ContainerList implements Containers.
func (e *Engine) ContainerList(ctx context.Context, labels map[string]string) ([]container.Summary, error) {
	f := filters.NewArgs()
	for k, v := range labels {
		if v == "" {
			f.Add("label", k)
		} else {
			f.Add("label", k+"="+v)
		}
	}
	r, err := e.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	return r, wrap("list", err)
}

// ContainerWait implements Containers.
func (e *Engine) ContainerWait(ctx context.Context, id string) (WaitResult, error) {
	okc, errc := e.cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case r := <-okc:
		w := WaitResult{ExitCode: r.StatusCode}
		if r.Error != nil {
			w.Err = r.Error.Message
		}
		return w, nil
	case err := <-errc:
		return WaitResult{}, wrap("wait "+short(id), err)
	}
}

// NetworkInspect implements Networks.
func (e *Engine) NetworkInspect(ctx context.Context, id string) (network.Inspect, error) {
	r, err := e.cli.NetworkInspect(ctx, id, network.InspectOptions{})
	return r, wrap("inspect network "+id, err)
}

// ContainerStats implements StatsReader.
func (e *Engine) ContainerStats(ctx context.Context, id string) ([]byte, error) {
	r, err := e.cli.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return nil, wrap("stats "+short(id), err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return b, wrap("stats "+short(id), err)
}

// short abbreviates a container id for messages.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
