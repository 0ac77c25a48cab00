// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import "time"

// Container instance statuses, as ECS spells them. Only ACTIVE instances
// take new tasks.
const (
	StatusActive        = "ACTIVE"
	StatusDraining      = "DRAINING"
	StatusInactive      = "INACTIVE"
	StatusRegistering   = "REGISTERING"
	StatusDeregistering = "DEREGISTERING"
)

// Failure reasons, spelled as ECS reports them in RunTask's and StartTask's
// failures[].reason. Sources: "Amazon ECS API failure reasons" in the ECS
// Developer Guide (RESOURCE:*, AGENT, ATTRIBUTE, MISSING, INACTIVE) and the
// messages ECS returns for unsatisfied constraints (quoted in
// aws/amazon-ecs-agent#3044 and aws/containers-roadmap#723). An instance
// whose status is not ACTIVE is reported with its status as the reason:
// INACTIVE as StartTask documents it, and likewise DRAINING, REGISTERING...
// (berth's choice; ECS does not document RunTask's treatment of those).
const (
	ReasonCPU              = "RESOURCE:CPU"
	ReasonMemory           = "RESOURCE:MEMORY"
	ReasonPorts            = "RESOURCE:PORTS"
	ReasonPortsUDP         = "RESOURCE:PORTS_UDP"
	ReasonAgent            = "AGENT"
	ReasonAttribute        = "ATTRIBUTE"
	ReasonMissing          = "MISSING"
	ReasonInactive         = "INACTIVE"
	ReasonMemberOf         = "MemberOf placement constraint unsatisfied."
	ReasonDistinctInstance = "DistinctInstance placement constraint unsatisfied."
)

// NoInstancesMessage is the InvalidParameterException message RunTask returns
// when the cluster has no registered container instance at all. Place cannot
// tell "no instances" from "empty view", so the caller checks and returns it.
const NoInstancesMessage = "No Container Instances were found in your cluster."

// Placement strategy types and fields (PlacementStrategy in the ECS API).
const (
	StrategyBinpack = "binpack"
	StrategySpread  = "spread"
	StrategyRandom  = "random"

	FieldCPU        = "cpu"
	FieldMemory     = "memory"
	FieldInstanceID = "instanceId"
	FieldHost       = "host" // same effect as instanceId
	// FieldAttributePrefix starts a spread field naming an instance
	// attribute, e.g. "attribute:ecs.availability-zone".
	FieldAttributePrefix = "attribute:"
)

// Placement constraint types (PlacementConstraint in the ECS API).
const (
	ConstraintDistinctInstance = "distinctInstance"
	ConstraintMemberOf         = "memberOf"
)

// Network modes (TaskDefinition.networkMode). The empty string means bridge,
// the default for Linux container instances.
const (
	NetworkBridge = "bridge"
	NetworkHost   = "host"
	NetworkAWSVPC = "awsvpc"
	NetworkNone   = "none"
)

// Port mapping protocols. The empty string means tcp.
const (
	ProtocolTCP = "tcp"
	ProtocolUDP = "udp"
)

// AttrAvailabilityZone is the built-in attribute the default service
// strategy spreads on.
const AttrAvailabilityZone = "ecs.availability-zone"

// State is a read-only view of container instances, typically the control
// plane's in-memory cache at one revision. Place never modifies what it
// returns.
type State interface {
	// Instances returns every container instance registered to cluster (an
	// ARN or a name, as the implementation keys them), including DRAINING
	// and INACTIVE ones; Place reports those with their status. The slice
	// and the instances must stay unchanged while Place runs: a cache
	// should hand out an immutable snapshot (copy on write), which makes
	// this call O(1) at any cluster size.
	Instances(cluster string) []*Instance
}

// Instance is a container instance as placement sees it. Resources are the
// instance's remaining resources after every task not yet STOPPED that is
// assigned to it (ECS's remainingResources), not only RUNNING ones.
type Instance struct {
	ID             string // container instance ARN; Placement and Failure name it
	EC2InstanceID  string
	Status         string // StatusActive, StatusDraining...
	AgentConnected bool
	AgentVersion   string // "1.14.5"; compared numerically by agentVersion queries
	RegisteredAt   time.Time

	RegisteredCPU    int // CPU units (1024 per vCPU)
	RegisteredMemory int // MiB
	RemainingCPU     int
	RemainingMemory  int

	// UsedPorts and UsedUDPPorts hold the host ports that are reserved
	// (ECS's registered PORTS, e.g. 22, 2375, 2376, 51678, 51679) or bound
	// by the instance's tasks, including dynamically assigned ones.
	UsedPorts    PortSet
	UsedUDPPorts PortSet
	// DynamicPorts is the range dynamic host ports are taken from; the
	// zero value means DefaultDynamicPorts for the instance's OS.
	DynamicPorts PortRange

	// Attributes holds built-in attributes (ecs.availability-zone,
	// ecs.instance-type, ecs.os-type, ecs.ami-id, ecs.capability.*) and
	// custom ones. An attribute without a value maps to "".
	Attributes map[string]string

	// RunningTasksCount is ECS's runningTasksCount, the subject of
	// runningTasksCount queries.
	RunningTasksCount int
	// Groups counts the instance's tasks not yet STOPPED by task group
	// ("service:web", "family:batch", custom). distinctInstance, spread and
	// task:group queries read it.
	Groups map[string]int

	// Version is the revision of the instance record the view holds (the
	// store's mod_revision); every Placement carries it so the commit can
	// compare-and-swap on it.
	Version int64
}

// Request describes tasks to place: one RunTask call, or the tasks a
// service needs. All tasks are identical and share Group.
type Request struct {
	Cluster string
	Count   int // tasks to place, ≥ 1 (RunTask allows 1..10; services more)

	CPU    int // CPU units each task reserves; see TaskResources
	Memory int // MiB each task reserves; see TaskResources

	NetworkMode  string // NetworkBridge when empty
	PortMappings []PortMapping

	// RequiredAttributes are the task definition's requiresAttributes; an
	// instance without one fails with ATTRIBUTE. An empty Value matches any
	// value.
	RequiredAttributes []Attribute
	// Constraints are the task definition's and the call's placement
	// constraints together (at most 10).
	Constraints []Constraint
	// Strategies are applied in order, each breaking the previous one's
	// ties (at most 5). Empty means the ECS default: spread on
	// attribute:ecs.availability-zone for a service's tasks, random for
	// standalone tasks. Remaining ties are broken at random.
	Strategies []Strategy

	// Group is the task group; empty means "service:<Service>" for a
	// service's tasks and "family:<Family>" otherwise, as ECS does.
	Group   string
	Family  string
	Service string // the service's name; empty for standalone tasks
	// StartedBy is carried for the caller; placement does not read it.
	StartedBy string
}

// PortMapping is one container port mapping. HostPort 0 in bridge mode asks
// for a dynamic host port; in host mode the host port is the container port.
// In awsvpc and none mode mappings consume no host port.
type PortMapping struct {
	ContainerName string
	ContainerPort int
	HostPort      int
	Protocol      string // ProtocolTCP when empty
}

// Constraint is a placement constraint: ConstraintDistinctInstance (no
// Expression) or ConstraintMemberOf with a cluster query language
// Expression.
type Constraint struct {
	Type       string
	Expression string
}

// Strategy is a placement strategy: binpack on cpu or memory, spread on
// instanceId, host or attribute:<name>, or random (Field unused).
type Strategy struct {
	Type  string
	Field string
}

// Attribute is an instance attribute required by a task definition.
type Attribute struct {
	Name  string
	Value string
}

// Placement is one task placed on one instance. Several tasks placed on the
// same instance yield several Placements with the same InstanceID and
// Version. The caller commits all of an instance's placements in one
// transaction guarded by Version, adding CPU, Memory and Ports to what the
// instance uses; on a version conflict it places those tasks again against
// a fresher view (Scheduler.Process does that loop).
type Placement struct {
	InstanceID string
	Version    int64
	CPU        int
	Memory     int
	// Ports holds one binding per Request.PortMappings entry that takes a
	// host port, in order, with dynamic host ports resolved.
	Ports []PortBinding
}

// PortBinding is a resolved port mapping (ECS's networkBindings).
type PortBinding struct {
	ContainerName string
	ContainerPort int
	HostPort      int
	Protocol      string
}

// Failure is one entry of failures[]: an instance that could not take a
// task and the first reason it could not, as ECS reports it.
type Failure struct {
	ARN    string
	Reason string
	Detail string
}
