// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/agent/creds"
)

// MetadataHook gives every container its task metadata endpoint
// (ECS_CONTAINER_METADATA_URI=http://<endpoint>/v3/<id>,
// ECS_CONTAINER_METADATA_URI_V4=http://<endpoint>/v4/<id>) and, unless the
// container sets them, AWS_REGION and AWS_DEFAULT_REGION; it publishes
// each task's metadata to the registry the endpoint serves from.
type MetadataHook struct {
	Registry *creds.Registry
	// Endpoint is the host (and port) tasks are told: 169.254.170.2.
	Endpoint         string
	Cluster          string
	Region           string
	AvailabilityZone string
}

var (
	_ Prestarter = (*MetadataHook)(nil)
	_ Observer   = (*MetadataHook)(nil)
	_ Cleaner    = (*MetadataHook)(nil)
)

// Name implements Hook.
func (h *MetadataHook) Name() string { return "metadata" }

// Prestart implements Prestarter.
func (h *MetadataHook) Prestart(ctx context.Context, req *CreateRequest) error {
	req.Env["ECS_CONTAINER_METADATA_URI"] = "http://" + h.Endpoint + "/v3/" + req.EndpointID
	req.Env["ECS_CONTAINER_METADATA_URI_V4"] = "http://" + h.Endpoint + "/v4/" + req.EndpointID
	if h.Region != "" {
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if _, ok := req.Env[k]; !ok {
				req.Env[k] = h.Region
			}
		}
	}
	return nil
}

// Observe implements Observer.
func (h *MetadataHook) Observe(s *Snapshot) {
	if h.Registry != nil {
		h.Registry.PutTask(h.metadata(s))
	}
}

// Cleanup implements Cleaner.
func (h *MetadataHook) Cleanup(ctx context.Context, t *Task) {
	if h.Registry != nil {
		h.Registry.RemoveTask(t.ARN)
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// metadata renders a snapshot in the task metadata v4 shape.
func (h *MetadataHook) metadata(s *Snapshot) creds.TaskMetadata {
	m := creds.TaskMetadata{
		Cluster: h.Cluster, TaskARN: s.Task.ARN, Family: s.Task.Family, Revision: s.Task.Version,
		DesiredStatus: s.DesiredStatus, KnownStatus: s.KnownStatus, LaunchType: "EC2",
		PullStartedAt: timePtr(s.PullStartedAt), PullStoppedAt: timePtr(s.PullStoppedAt),
		ExecutionStoppedAt: timePtr(s.ExecutionStoppedAt), AvailabilityZone: h.AvailabilityZone,
	}
	for _, c := range s.Containers {
		spec := s.Task.container(c.Name)
		cm := creds.ContainerMetadata{
			EndpointID: c.EndpointID, DockerID: c.DockerID, Name: c.Name, DockerName: c.DockerName,
			Image: c.Image, ImageID: c.ImageID, Labels: c.Labels, DesiredStatus: s.DesiredStatus,
			KnownStatus: c.KnownStatus, ExitCode: c.ExitCode, Type: "NORMAL",
			CreatedAt: timePtr(c.CreatedAt), StartedAt: timePtr(c.StartedAt), FinishedAt: timePtr(c.FinishedAt),
			LogDriver: c.LogDriver, LogOptions: c.LogOptions,
		}
		if spec != nil {
			cm.Limits = creds.Limits{CPU: float64(spec.CPU), Memory: spec.Memory}
		}
		for _, b := range c.Bindings {
			cm.Ports = append(cm.Ports, creds.Port{ContainerPort: b.ContainerPort, Protocol: b.Protocol, HostPort: b.HostPort, HostIP: b.BindIP})
		}
		if c.NetworkMode != "" {
			n := creds.Network{NetworkMode: c.NetworkMode}
			for _, ip := range c.IPs {
				n.IPv4Addresses = append(n.IPv4Addresses, ip.String())
			}
			cm.Networks = []creds.Network{n}
		}
		if c.Health != "" {
			cm.Health = &creds.Health{Status: c.Health}
		}
		m.Containers = append(m.Containers, cm)
	}
	return m
}
