// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package agentapi is the contract between the ECS service, which owns
// clusters, container instances and tasks, and the agent-facing servers
// (ACS and TCS), which deliver each container instance its work over a
// websocket. The ECS service implements Backend; the ACS server consumes it.
// Neither imports the other; the control plane wires them.
package agentapi

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// ErrInactiveInstance means the container instance is unknown or
// deregistered: the ACS handshake answers InactiveInstanceException.
var ErrInactiveInstance = errors.New("agentapi: container instance is not active")

// Backend is the ECS state an agent session needs. Implementations are
// safe for concurrent use and read from the replica cache.
type Backend interface {
	// ConnectAgent resolves cluster (name or ARN) and instanceARN to an
	// ACTIVE or DRAINING registered instance and records agentConnected=true
	// under a new connection generation, which takes the connection over
	// from any earlier session, on this replica or another. It returns the
	// instance's cluster ARN and the generation, or an error wrapping
	// ErrInactiveInstance.
	ConnectAgent(ctx context.Context, cluster, instanceARN string) (Connection, error)
	// DisconnectAgent records agentConnected=false for the instance, but
	// only while generation is still the instance's connection generation:
	// the late disconnect of a session the agent has already replaced, on
	// any replica, changes nothing.
	DisconnectAgent(ctx context.Context, instanceARN string, generation int64) error
	// InstanceTasks returns the tasks the agent on instanceARN must know
	// about: every task placed there whose desired status is RUNNING, or
	// whose desired status is STOPPED while its last status is not yet
	// STOPPED. For an instance that is deregistered it returns an error
	// wrapping ErrInactiveInstance: the session ends, and the agent's
	// reconnection is refused with InactiveInstanceException.
	InstanceTasks(ctx context.Context, instanceARN string) ([]Task, error)
	// WatchInstance returns a channel that receives a value (coalesced)
	// whenever a task of instanceARN is placed or changes its desired
	// status, until ctx ends (then it is closed).
	WatchInstance(ctx context.Context, instanceARN string) <-chan struct{}
}

// Connection is an agent connection ConnectAgent recorded.
type Connection struct {
	// ClusterARN is the ARN of the instance's cluster.
	ClusterARN string
	// Generation identifies the connection among every connection of the
	// instance, across replicas; DisconnectAgent needs it.
	Generation int64
}

// Task is one task as the agent must run it: the task definition with the
// run's overrides, and the host ports the scheduler reserved.
type Task struct {
	TaskARN    string
	ClusterARN string
	// Version changes whenever the task record does (its store revision).
	Version       int64
	DesiredStatus string // RUNNING or STOPPED
	LastStatus    string
	// Definition is the task definition revision the task runs.
	Definition *ecsapi.TaskDefinition
	// Overrides are the RunTask/StartTask overrides (may be nil).
	Overrides *ecsapi.TaskOverride
	// HostPorts maps "containerName/containerPort/protocol" to the host
	// port the scheduler reserved (dynamic ports resolved).
	HostPorts map[string]int32
	// TaskRoleARN and ExecutionRoleARN are the effective roles (overrides
	// applied); empty when none.
	TaskRoleARN      string
	ExecutionRoleARN string
	CreatedAt        time.Time
	StartedBy        string
	Group            string
}

// HostPortKey is the key of Task.HostPorts.
func HostPortKey(container string, containerPort int32, protocol string) string {
	if protocol == "" {
		protocol = "tcp"
	}
	return container + "/" + strconv.Itoa(int(containerPort)) + "/" + protocol
}
