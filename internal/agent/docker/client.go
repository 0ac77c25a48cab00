// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker

import (
	"context"
	"errors"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
)

// ErrNotFound matches (errors.Is) every error for an image, container or
// network the daemon does not have.
var ErrNotFound = errors.New("docker: not found")

// RegistryAuth is the credential for one pull. ServerAddress is the
// registry (for ECR, the proxy endpoint of the authorization token).
type RegistryAuth struct {
	Username      string
	Password      string
	ServerAddress string
}

// CreateRequest is a container to create.
type CreateRequest struct {
	// Name is the container name; empty lets Docker choose one.
	Name       string
	Config     *container.Config
	HostConfig *container.HostConfig
	Networking *network.NetworkingConfig
}

// WaitResult is how a container stopped.
type WaitResult struct {
	ExitCode int64
	// Err is the daemon's wait error message, if any.
	Err string
}

// Images is the image half of Client.
type Images interface {
	// ImagePull pulls ref, reading the progress stream to the end; a
	// failure reported inside the stream is returned as an error. auth may
	// be nil for an anonymous pull.
	ImagePull(ctx context.Context, ref string, auth *RegistryAuth) error
	// ImageInspect returns the local image ref, or an error matching
	// ErrNotFound when it is absent.
	ImageInspect(ctx context.Context, ref string) (image.InspectResponse, error)
}

// Containers is the container half of Client.
type Containers interface {
	// ContainerCreate creates a container and returns its id.
	ContainerCreate(ctx context.Context, req CreateRequest) (string, error)
	ContainerStart(ctx context.Context, id string) error
	// ContainerStop sends the stop signal (SIGTERM unless the image says
	// otherwise) and SIGKILL after timeout; it returns once the container
	// has stopped. ctx must outlive timeout.
	ContainerStop(ctx context.Context, id string, timeout time.Duration) error
	ContainerKill(ctx context.Context, id, signal string) error
	// ContainerRemove force-removes a container and its anonymous volumes.
	// Removing an absent container is not an error.
	ContainerRemove(ctx context.Context, id string) error
	// ContainerInspect returns the container, or an error matching
	// ErrNotFound.
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	// ContainerList lists containers in every state whose labels match:
	// an empty value matches the key alone.
	ContainerList(ctx context.Context, labels map[string]string) ([]container.Summary, error)
	// ContainerWait blocks until the container is not running and returns
	// its exit. It returns at once for a container that already exited.
	ContainerWait(ctx context.Context, id string) (WaitResult, error)
}

// Networks is the network half of Client.
type Networks interface {
	NetworkInspect(ctx context.Context, id string) (network.Inspect, error)
}

// Client is the part of the Docker Engine API the agent uses. Implementations
// are safe for concurrent use.
type Client interface {
	Images
	Containers
	Networks
}

// StatsReader is an optional ability of a Client: one-shot resource usage
// of a container, as the Engine's /containers/{id}/stats JSON.
type StatsReader interface {
	ContainerStats(ctx context.Context, id string) ([]byte, error)
}
