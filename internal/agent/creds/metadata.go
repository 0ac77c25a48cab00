// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import "time"

// TaskMetadata is a task as the task metadata endpoint v4 shows it (the v3
// endpoint shows the same shape without the v4-only fields).
type TaskMetadata struct {
	Cluster            string
	TaskARN            string
	Family             string
	Revision           string
	DesiredStatus      string
	KnownStatus        string
	Containers         []ContainerMetadata
	Limits             *Limits    `json:",omitempty"`
	PullStartedAt      *time.Time `json:",omitempty"`
	PullStoppedAt      *time.Time `json:",omitempty"`
	ExecutionStoppedAt *time.Time `json:",omitempty"`
	AvailabilityZone   string     `json:",omitempty"`
	LaunchType         string     `json:",omitempty"` // v4 only
}

// ContainerMetadata is one container of TaskMetadata.
type ContainerMetadata struct {
	// EndpointID is the id in the container's metadata URI (not shown).
	EndpointID    string `json:"-"`
	DockerID      string `json:"DockerId"`
	Name          string
	DockerName    string
	Image         string
	ImageID       string
	Ports         []Port            `json:",omitempty"`
	Labels        map[string]string `json:",omitempty"`
	DesiredStatus string
	KnownStatus   string
	ExitCode      *int `json:",omitempty"`
	Limits        Limits
	CreatedAt     *time.Time        `json:",omitempty"`
	StartedAt     *time.Time        `json:",omitempty"`
	FinishedAt    *time.Time        `json:",omitempty"`
	Type          string            // NORMAL
	LogDriver     string            `json:",omitempty"` // v4 only
	LogOptions    map[string]string `json:",omitempty"` // v4 only
	ContainerARN  string            `json:",omitempty"` // v4 only
	Networks      []Network         `json:",omitempty"`
	Health        *Health           `json:",omitempty"`
}

// Limits are CPU (units for a container, vCPUs for a task) and memory
// (MiB) limits.
type Limits struct {
	CPU    float64 `json:",omitempty"`
	Memory int64   `json:",omitempty"`
}

// Port is a port binding of a container.
type Port struct {
	ContainerPort uint16
	Protocol      string
	HostPort      uint16 `json:",omitempty"`
	HostIP        string `json:"HostIp,omitempty"`
}

// Network is a network a container is attached to.
type Network struct {
	NetworkMode   string
	IPv4Addresses []string `json:",omitempty"`
}

// Health is a container's Docker health status.
type Health struct {
	Status      string
	StatusSince *time.Time `json:"statusSince,omitempty"`
}

// v3 returns the v3 view of t: the v4-only fields cleared.
func (t TaskMetadata) v3() TaskMetadata {
	t.LaunchType = ""
	cs := make([]ContainerMetadata, len(t.Containers))
	for i, c := range t.Containers {
		cs[i] = c.v3()
	}
	t.Containers = cs
	return t
}

func (c ContainerMetadata) v3() ContainerMetadata {
	c.LogDriver, c.LogOptions, c.ContainerARN = "", nil, ""
	return c
}
