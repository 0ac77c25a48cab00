// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package dockertest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/berthdev/berth/internal/agent/docker"
)

// Behavior scripts what the process of a container does once started.
type Behavior struct {
	// RunFor > 0 makes the process exit on its own after RunFor with
	// ExitCode; 0 means it runs until stopped or killed.
	RunFor   time.Duration
	ExitCode int
	// IgnoreTerm makes a stop wait the whole timeout before SIGKILL (137).
	IgnoreTerm bool
	// TermExitCode is the exit code on SIGTERM; 0 means 143.
	TermExitCode int
}

// Image is an image the Fake knows.
type Image struct {
	ID       string
	Behavior Behavior
}

// Fake is an in-memory docker.Client. The zero value is not usable: use
// New. All methods are safe for concurrent use.
type Fake struct {
	mu         sync.Mutex
	local      map[string]Image // ref → image present locally
	remote     map[string]Image // ref → image a pull can fetch
	containers map[string]*Container
	calls      []string
	pulls      []Pull
	nextID     int
	nextPort   int
	// CreateErr, when set, is called before each create; a non-nil return
	// fails the create.
	CreateErr func(req docker.CreateRequest) error
	// StartErr is the same for starts (by container name).
	StartErr func(name string) error
}

// Pull records one ImagePull.
type Pull struct {
	Ref  string
	Auth *docker.RegistryAuth
}

// Container is the Fake's record of a container.
type Container struct {
	ID, Name   string
	Config     *container.Config
	HostConfig *container.HostConfig
	Status     string // created, running, exited
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	IP         string
	Ports      nat.PortMap
	Health     string
	Signals    []string
	behavior   Behavior
	done       chan struct{}
}

var (
	_ docker.Client      = (*Fake)(nil)
	_ docker.StatsReader = (*Fake)(nil)
)

// New returns an empty Fake.
func New() *Fake {
	return &Fake{
		local:      map[string]Image{},
		remote:     map[string]Image{},
		containers: map[string]*Container{},
		nextPort:   32768,
	}
}

// AddImage makes ref present locally.
func (f *Fake) AddImage(ref string, img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img.ID == "" {
		img.ID = "sha256:" + strings.Repeat(fmt.Sprintf("%x", len(f.local)+1), 64)[:64]
	}
	f.local[ref] = img
}

// AddRemoteImage makes ref pullable (not present until pulled).
func (f *Fake) AddRemoteImage(ref string, img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img.ID == "" {
		img.ID = "sha256:" + strings.Repeat("e", 64)
	}
	f.remote[ref] = img
}

// Calls returns the log of calls, e.g. "pull img", "create name",
// "start name", "stop name 2s", "kill name SIGKILL", "remove name".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Pulls returns the pulls made.
func (f *Fake) Pulls() []Pull {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Pull(nil), f.pulls...)
}

// Container returns a copy of the container record with id or name.
func (f *Fake) Container(idOrName string) (Container, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.find(idOrName)
	if c == nil {
		return Container{}, false
	}
	cp := *c
	cp.Signals = append([]string(nil), c.Signals...)
	return cp, true
}

// Exit makes a running container's process exit with code, as if it
// returned from main.
func (f *Fake) Exit(idOrName string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.find(idOrName); c != nil {
		f.exitLocked(c, code)
	}
}

// SetHealth sets a container's health status (starting, healthy,
// unhealthy).
func (f *Fake) SetHealth(idOrName, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.find(idOrName); c != nil {
		c.Health = status
	}
}

func (f *Fake) find(idOrName string) *Container {
	if c, ok := f.containers[idOrName]; ok {
		return c
	}
	for _, c := range f.containers {
		if c.Name == idOrName || strings.HasPrefix(c.ID, idOrName) && len(idOrName) >= 12 {
			return c
		}
	}
	return nil
}

func (f *Fake) get(op, id string) (*Container, error) {
	c := f.find(id)
	if c == nil {
		return nil, fmt.Errorf("dockertest: %s %s: %w", op, id, docker.ErrNotFound)
	}
	return c, nil
}

func (f *Fake) exitLocked(c *Container, code int) {
	if c.Status != "running" {
		return
	}
	c.Status = "exited"
	c.ExitCode = code
	c.FinishedAt = time.Now()
	close(c.done)
}

// ImagePull implements docker.Images.
func (f *Fake) ImagePull(ctx context.Context, ref string, auth *docker.RegistryAuth) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "pull "+ref)
	var a *docker.RegistryAuth
	if auth != nil {
		cp := *auth
		a = &cp
	}
	f.pulls = append(f.pulls, Pull{Ref: ref, Auth: a})
	img, ok := f.remote[ref]
	if !ok {
		return fmt.Errorf("dockertest: pull %s: manifest unknown: %w", ref, docker.ErrNotFound)
	}
	f.local[ref] = img
	return nil
}

// ImageInspect implements docker.Images.
func (f *Fake) ImageInspect(ctx context.Context, ref string) (image.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.local[ref]
	if !ok {
		return image.InspectResponse{}, fmt.Errorf("dockertest: image %s: %w", ref, docker.ErrNotFound)
	}
	return image.InspectResponse{ID: img.ID, RepoTags: []string{ref}, RepoDigests: []string{ref + "@" + img.ID}}, nil
}

// NetworkInspect implements docker.Networks: every network is a bridge
// with gateway 172.17.0.1.
func (f *Fake) NetworkInspect(ctx context.Context, id string) (network.Inspect, error) {
	return network.Inspect{Name: id, ID: id, Driver: "bridge", IPAM: network.IPAM{
		Config: []network.IPAMConfig{{Subnet: "172.17.0.0/16", Gateway: "172.17.0.1"}},
	}}, nil
}

// ContainerStats implements docker.StatsReader.
func (f *Fake) ContainerStats(ctx context.Context, id string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("stats", id)
	if err != nil {
		return nil, err
	}
	return []byte(`{"id":"` + c.ID + `","name":"/` + c.Name + `","memory_stats":{"usage":1048576}}`), nil
}

func (f *Fake) allocPort() string {
	p := f.nextPort
	f.nextPort++
	return strconv.Itoa(p)
}
