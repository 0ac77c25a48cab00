// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"net/netip"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Hook is a piece of task lifecycle behaviour. A hook implements one or
// more of the phase interfaces below; the runner calls each phase of each
// hook in the order the hooks were given. Hooks are called from several
// goroutines (one per task, one per starting container) and must be safe
// for concurrent use.
type Hook interface {
	Name() string
}

// Updater is called when a task is accepted, each time the control plane
// sends it again (e.g. with refreshed credentials or desired STOPPED), and
// when Restore reattaches it. An error refuses the task (Apply returns it).
type Updater interface {
	Update(ctx context.Context, t *Task) error
}

// Prestarter is called before each container is created; it may change
// the request (environment, labels, host config). An error fails the
// container (CannotCreateContainerError).
type Prestarter interface {
	Prestart(ctx context.Context, req *CreateRequest) error
}

// Poststarter is called after a container started, and for each running
// container Restore reattaches.
type Poststarter interface {
	Poststart(ctx context.Context, t *Task, c *ContainerInfo)
}

// ExitedRestorer is called for each container Restore finds stopped that
// Docker still has: it exited while the agent was away, or the agent
// died before its hooks were done with it. A hook can finish with the
// container's output then (Drainer still runs before the container is
// removed). It is called before the restored task runs, and must not
// block.
type ExitedRestorer interface {
	RestoreExited(ctx context.Context, t *Task, c *ContainerInfo)
}

// Stopper is called when a container has stopped.
type Stopper interface {
	Stopped(ctx context.Context, t *Task, container string)
}

// Drainer is called when a stopped task is about to be cleaned up, before
// its containers are removed, so a hook can finish reading their output.
// It may block until ctx ends.
type Drainer interface {
	Drain(ctx context.Context, t *Task)
}

// Cleaner is called when a stopped task is cleaned up (its containers
// removed after the cleanup wait).
type Cleaner interface {
	Cleanup(ctx context.Context, t *Task)
}

// Observer is called with a snapshot after every change of a task.
type Observer interface {
	Observe(s *Snapshot)
}

// CreateRequest is a container about to be created.
type CreateRequest struct {
	Task      *Task
	Container *Container
	// EndpointID is the container's metadata endpoint id.
	EndpointID string
	// Env is the environment: the container's, plus what hooks add. It
	// replaces Config.Env when the container is created.
	Env        map[string]string
	Config     *container.Config
	HostConfig *container.HostConfig
}

// ContainerInfo is a started (or reattached) container.
type ContainerInfo struct {
	Name        string
	DockerID    string
	IPs         []netip.Addr
	HostNetwork bool
}

// Snapshot is a task's state at one moment.
type Snapshot struct {
	Task               *Task
	DesiredStatus      string
	KnownStatus        string
	Reason             string
	PullStartedAt      time.Time
	PullStoppedAt      time.Time
	ExecutionStoppedAt time.Time
	Containers         []ContainerSnapshot
}

// ContainerSnapshot is one container of a Snapshot.
type ContainerSnapshot struct {
	Name, DockerID, DockerName, EndpointID string
	Image, ImageID, ImageDigest            string
	KnownStatus                            string
	ExitCode                               *int
	Reason                                 string
	Bindings                               []NetworkBinding
	IPs                                    []netip.Addr
	NetworkMode                            string
	Labels                                 map[string]string
	LogDriver                              string
	LogOptions                             map[string]string
	CreatedAt, StartedAt, FinishedAt       time.Time
	Health                                 string
}
