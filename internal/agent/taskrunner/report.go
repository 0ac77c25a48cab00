// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import "time"

// StateChange is what the runner reports after every change of a task:
// the task's status with all its containers (the agent turns it into
// SubmitTaskStateChange, which batches container changes).
type StateChange struct {
	TaskARN string
	// Status is PENDING, RUNNING or STOPPED.
	Status             string
	Reason             string
	PullStartedAt      time.Time
	PullStoppedAt      time.Time
	ExecutionStoppedAt time.Time
	Containers         []ContainerChange
}

// ContainerChange is one container of a StateChange.
type ContainerChange struct {
	Name        string
	RuntimeID   string // Docker id
	ImageDigest string
	// Status is PENDING, RUNNING or STOPPED.
	Status          string
	ExitCode        *int
	Reason          string
	NetworkBindings []NetworkBinding
}

// NetworkBinding is a container port published on the host, with the host
// port Docker actually bound (read back with inspect).
type NetworkBinding struct {
	BindIP        string
	ContainerPort uint16
	HostPort      uint16
	Protocol      string
}

// Container returns the change of the named container.
func (s StateChange) Container(name string) (ContainerChange, bool) {
	for _, c := range s.Containers {
		if c.Name == name {
			return c, true
		}
	}
	return ContainerChange{}, false
}

func (s *Snapshot) stateChange() StateChange {
	ch := StateChange{
		TaskARN: s.Task.ARN, Status: s.KnownStatus, Reason: s.Reason,
		PullStartedAt: s.PullStartedAt, PullStoppedAt: s.PullStoppedAt, ExecutionStoppedAt: s.ExecutionStoppedAt,
	}
	if ch.Status == StatusNone {
		ch.Status = StatusPending
	}
	for _, c := range s.Containers {
		st := c.KnownStatus
		if st == StatusNone {
			st = StatusPending
		}
		ch.Containers = append(ch.Containers, ContainerChange{
			Name: c.Name, RuntimeID: c.DockerID, ImageDigest: c.ImageDigest, Status: st,
			ExitCode: c.ExitCode, Reason: c.Reason, NetworkBindings: append([]NetworkBinding(nil), c.Bindings...),
		})
	}
	return ch
}
