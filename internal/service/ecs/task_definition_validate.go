// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/scheduler"
)

// Task definition limits and defaults (RegisterTaskDefinition and
// "Amazon ECS task definition parameters").
const (
	maxContainers        = 10
	maxTaskDefSize       = 64 << 10
	minContainerMemory   = 6 // MiB
	minTaskCPU           = 128
	maxTaskCPU           = 196608
	defaultHCInterval    = 30
	defaultHCTimeout     = 5
	defaultHCRetries     = 3
	defaultHCStart       = 0
	compatEC2            = "EC2"
	compatFargate        = "FARGATE"
	compatExternal       = "EXTERNAL"
	compatManaged        = "MANAGED_INSTANCES"
	capTaskIAMRole       = "com.amazonaws.ecs.capability.task-iam-role"
	capLoggingDriver     = "com.amazonaws.ecs.capability.logging-driver."
	capExecAwslogs       = "ecs.capability.execution-role-awslogs"
	capTaskENI           = "ecs.capability.task-eni"
	capHealthCheck       = "ecs.capability.container-health-check"
	capContainerOrdering = "ecs.capability.container-ordering"
)

// parseTaskCPU parses a task-level cpu: CPU units ("256") or vCPUs
// ("1 vcpu", "0.25 vCPU"). 0 when empty.
func parseTaskCPU(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if v, ok := strings.CutSuffix(strings.ToLower(s), "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, false
		}
		return int(f * 1024), true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// parseTaskMemory parses a task-level memory: MiB ("512") or GB ("1 GB",
// "0.5gb"). 0 when empty.
func parseTaskMemory(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if v, ok := strings.CutSuffix(strings.ToLower(s), "gb"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, false
		}
		return int(f * 1024), true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// isRoleARN reports whether s names an IAM role of any account.
func isRoleARN(s string) bool {
	a, err := arn.Parse(s)
	return err == nil && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") && len(a.Resource) > len("role/")
}

// validateTaskDef checks a registration as ECS does and fills in the
// defaults ECS reports (essential, cpu 0, port mapping host ports and
// protocols, health check timings). It returns the task definition as
// DescribeTaskDefinition shows it, without ARN, revision and status.
func validateTaskDef(in *ecsapi.RegisterTaskDefinitionInput) (*ecsapi.TaskDefinition, error) {
	family := deref(in.Family)
	if !validName(family) {
		return nil, clientErr("Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, clientErr("Container list cannot be empty.")
	}
	if len(in.ContainerDefinitions) > maxContainers {
		return nil, clientErr("Too many containers.")
	}
	mode := deref(in.NetworkMode)
	if mode != "" && !slices.Contains(ecsapi.NetworkModeValues(), mode) {
		return nil, clientErr("Invalid networkMode %q.", mode)
	}
	for _, r := range []struct{ name, v string }{{"taskRoleArn", deref(in.TaskRoleArn)}, {"executionRoleArn", deref(in.ExecutionRoleArn)}} {
		if r.v != "" && !isRoleARN(r.v) {
			return nil, clientErr("Role is not valid: %s %q is not an IAM role ARN.", r.name, r.v)
		}
	}
	taskCPU, ok := parseTaskCPU(deref(in.Cpu))
	if !ok || taskCPU != 0 && (taskCPU < minTaskCPU || taskCPU > maxTaskCPU) {
		return nil, clientErr("Invalid 'cpu' setting for task.")
	}
	taskMem, ok := parseTaskMemory(deref(in.Memory))
	if !ok {
		return nil, clientErr("Invalid 'memory' setting for task.")
	}
	for _, c := range in.RequiresCompatibilities {
		switch c {
		case compatEC2, compatExternal, compatManaged:
		case compatFargate:
			if mode != scheduler.NetworkAWSVPC {
				return nil, clientErr("Fargate only supports network mode 'awsvpc'.")
			}
			if taskCPU == 0 {
				return nil, clientErr("Fargate requires that 'cpu' be defined at the task level.")
			}
			if taskMem == 0 {
				return nil, clientErr("Fargate requires that 'memory' be defined at the task level.")
			}
		default:
			return nil, clientErr("Invalid requiresCompatibilities value %q.", c)
		}
	}
	if p := deref(in.PidMode); p != "" && !slices.Contains(ecsapi.PidModeValues(), p) {
		return nil, clientErr("Invalid pidMode %q.", p)
	}
	if p := deref(in.IpcMode); p != "" && !slices.Contains(ecsapi.IpcModeValues(), p) {
		return nil, clientErr("Invalid ipcMode %q.", p)
	}
	volumes, err := checkVolumes(in.Volumes)
	if err != nil {
		return nil, err
	}
	if err := checkTDConstraints(in.PlacementConstraints); err != nil {
		return nil, err
	}
	defs := make([]ecsapi.ContainerDefinition, len(in.ContainerDefinitions))
	copy(defs, in.ContainerDefinitions)
	cv := containerCheck{mode: mode, taskCPU: taskCPU, taskMem: taskMem, volumes: volumes, names: map[string]int{}}
	if err := cv.check(defs); err != nil {
		return nil, err
	}
	if in.ProxyConfiguration != nil {
		if _, ok := cv.names[deref(in.ProxyConfiguration.ContainerName)]; !ok {
			return nil, clientErr("The proxy configuration container name must be a container in the task definition.")
		}
	}
	td := &ecsapi.TaskDefinition{
		ContainerDefinitions:    defs,
		Family:                  ptr(family),
		TaskRoleArn:             in.TaskRoleArn,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		NetworkMode:             in.NetworkMode,
		Volumes:                 nonNil(in.Volumes),
		PlacementConstraints:    nonNil(in.PlacementConstraints),
		RequiresCompatibilities: in.RequiresCompatibilities,
		Cpu:                     in.Cpu,
		Memory:                  in.Memory,
		PidMode:                 in.PidMode,
		IpcMode:                 in.IpcMode,
		ProxyConfiguration:      in.ProxyConfiguration,
		InferenceAccelerators:   in.InferenceAccelerators,
		EphemeralStorage:        in.EphemeralStorage,
		RuntimePlatform:         in.RuntimePlatform,
	}
	td.Compatibilities = []string{compatEC2}
	if mode != scheduler.NetworkAWSVPC {
		td.Compatibilities = append([]string{compatExternal}, td.Compatibilities...)
	} else if taskCPU > 0 && taskMem > 0 {
		td.Compatibilities = append(td.Compatibilities, compatFargate)
	}
	td.RequiresAttributes = requiredAttributes(td)
	return td, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func checkVolumes(vols []ecsapi.Volume) (map[string]bool, error) {
	names := map[string]bool{}
	for _, v := range vols {
		n := deref(v.Name)
		if !validName(n) {
			return nil, clientErr("Invalid volume name %q. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", n)
		}
		if names[n] {
			return nil, clientErr("Duplicate volume name %q.", n)
		}
		names[n] = true
		if d := v.DockerVolumeConfiguration; d != nil {
			if sc := deref(d.Scope); sc != "" && sc != "task" && sc != "shared" {
				return nil, clientErr("Invalid scope %q for volume %q.", sc, n)
			}
			if d.Autoprovision != nil && *d.Autoprovision && deref(d.Scope) != "shared" {
				return nil, clientErr("Autoprovision is only supported for volumes with the shared scope.")
			}
		}
	}
	return names, nil
}

func checkTDConstraints(cs []ecsapi.TaskDefinitionPlacementConstraint) error {
	if len(cs) > scheduler.MaxConstraints {
		return clientErr("Too many placement constraints. A task definition can have up to %d.", scheduler.MaxConstraints)
	}
	for _, c := range cs {
		if deref(c.Type) != scheduler.ConstraintMemberOf {
			return clientErr("Invalid placement constraint type %q. Task definitions only support memberOf.", deref(c.Type))
		}
		if _, err := scheduler.ParseQuery(deref(c.Expression)); err != nil {
			return schedulerErr(err)
		}
	}
	return nil
}

// containerCheck validates the container definitions of one task
// definition.
type containerCheck struct {
	mode            string
	taskCPU         int
	taskMem         int
	volumes         map[string]bool
	names           map[string]int // container name → index
	hostPorts       map[string]bool
	sumCPU, sumResv int
}

func (cv *containerCheck) check(defs []ecsapi.ContainerDefinition) error {
	essential := false
	for i := range defs {
		c := &defs[i]
		name := deref(c.Name)
		if name == "" {
			return clientErr("Container.name should not be null or empty.")
		}
		if !validName(name) {
			return clientErr("Invalid container name %q. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
		}
		if _, dup := cv.names[name]; dup {
			return clientErr("Duplicate container name %q.", name)
		}
		cv.names[name] = i
		if strings.TrimSpace(deref(c.Image)) == "" {
			return clientErr("Container.image should not be null or empty.")
		}
		if c.Essential == nil {
			c.Essential = ptr(true)
		}
		essential = essential || *c.Essential
		if err := cv.resources(c, name); err != nil {
			return err
		}
		if err := cv.ports(c, name); err != nil {
			return err
		}
		if err := cv.misc(c, name); err != nil {
			return err
		}
	}
	if !essential {
		return clientErr("A task definition must have at least one essential container.")
	}
	if cv.taskCPU > 0 && cv.sumCPU > cv.taskCPU {
		return clientErr("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.")
	}
	if cv.taskMem > 0 && cv.sumResv > cv.taskMem {
		return clientErr("The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.")
	}
	return cv.references(defs)
}

func (cv *containerCheck) resources(c *ecsapi.ContainerDefinition, name string) error {
	if c.Cpu == nil {
		c.Cpu = ptr(int32(0))
	}
	if *c.Cpu < 0 {
		return clientErr("Invalid 'cpu' setting for container '%s'.", name)
	}
	if cv.taskCPU > 0 && int(*c.Cpu) > cv.taskCPU {
		return clientErr("The 'cpu' setting for container '%s' is greater than for the task.", name)
	}
	cv.sumCPU += int(*c.Cpu)
	mem, resv := c.Memory, c.MemoryReservation
	if mem == nil && resv == nil && cv.taskMem == 0 {
		return clientErr("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", name)
	}
	if mem != nil && *mem < minContainerMemory {
		return clientErr("Invalid 'memory' setting for container '%s'. The minimum is %d MiB.", name, minContainerMemory)
	}
	if resv != nil && *resv < minContainerMemory {
		return clientErr("Invalid 'memoryReservation' setting for container '%s'. The minimum is %d MiB.", name, minContainerMemory)
	}
	if mem != nil && resv != nil && *resv > *mem {
		return clientErr("Invalid setting for container '%s'. 'memoryReservation' must be less than or equal to 'memory'.", name)
	}
	if mem != nil && cv.taskMem > 0 && int(*mem) > cv.taskMem {
		return clientErr("The 'memory' setting for container '%s' is greater than for the task.", name)
	}
	switch {
	case resv != nil:
		cv.sumResv += int(*resv)
	case mem != nil:
		cv.sumResv += int(*mem)
	}
	return nil
}

func (cv *containerCheck) ports(c *ecsapi.ContainerDefinition, name string) error {
	if cv.hostPorts == nil {
		cv.hostPorts = map[string]bool{}
	}
	for i := range c.PortMappings {
		pm := &c.PortMappings[i]
		proto := deref(pm.Protocol)
		if proto == "" {
			proto = scheduler.ProtocolTCP
			pm.Protocol = ptr(proto)
		}
		if proto != scheduler.ProtocolTCP && proto != scheduler.ProtocolUDP {
			return clientErr("Invalid protocol %q in port mapping of container '%s'.", proto, name)
		}
		if pm.ContainerPortRange != nil {
			if pm.ContainerPort != nil || pm.HostPort != nil {
				return clientErr("A port mapping of container '%s' sets both containerPortRange and containerPort or hostPort.", name)
			}
			continue
		}
		if pm.ContainerPort == nil || *pm.ContainerPort < 1 || *pm.ContainerPort > 65535 {
			return clientErr("Invalid 'containerPort' setting for container '%s'.", name)
		}
		cp := *pm.ContainerPort
		switch cv.mode {
		case scheduler.NetworkHost, scheduler.NetworkAWSVPC:
			if pm.HostPort != nil && *pm.HostPort != 0 && *pm.HostPort != cp {
				return clientErr("When networkMode=%s, the containerPort[%d] must be the same as the hostPort[%d]", cv.mode, cp, *pm.HostPort)
			}
			pm.HostPort = ptr(cp)
		case scheduler.NetworkNone:
			return clientErr("Port mappings are not supported when networkMode=none.")
		default:
			if pm.HostPort == nil {
				pm.HostPort = ptr(int32(0))
			}
			if *pm.HostPort < 0 || *pm.HostPort > 65535 {
				return clientErr("Invalid 'hostPort' setting for container '%s'.", name)
			}
		}
		if hp := *pm.HostPort; hp != 0 {
			key := proto + "/" + strconv.Itoa(int(hp))
			if cv.hostPorts[key] {
				return clientErr("Host port %d/%s is mapped more than once in the task definition.", hp, proto)
			}
			cv.hostPorts[key] = true
		}
	}
	if len(c.Links) > 0 && cv.mode != "" && cv.mode != scheduler.NetworkBridge {
		return clientErr("Links are not supported when networkMode=%s.", cv.mode)
	}
	return nil
}

func (cv *containerCheck) misc(c *ecsapi.ContainerDefinition, name string) error {
	for _, e := range c.Environment {
		if deref(e.Name) == "" {
			return clientErr("Environment variable names of container '%s' must not be empty.", name)
		}
	}
	if lc := c.LogConfiguration; lc != nil {
		if d := deref(lc.LogDriver); !slices.Contains(ecsapi.LogDriverValues(), d) {
			return clientErr("Log driver %s for container '%s' is not supported.", d, name)
		}
	}
	if hc := c.HealthCheck; hc != nil {
		if len(hc.Command) == 0 || !slices.Contains([]string{"CMD", "CMD-SHELL", "NONE"}, hc.Command[0]) {
			return clientErr("Invalid 'healthCheck' setting for container '%s'. The command must start with CMD, CMD-SHELL or NONE.", name)
		}
		for _, f := range []struct {
			v      **int32
			def    int32
			lo, hi int32
			field  string
		}{
			{&hc.Interval, defaultHCInterval, 5, 300, "interval"},
			{&hc.Timeout, defaultHCTimeout, 2, 120, "timeout"},
			{&hc.Retries, defaultHCRetries, 1, 10, "retries"},
			{&hc.StartPeriod, defaultHCStart, 0, 300, "startPeriod"},
		} {
			if *f.v == nil {
				*f.v = ptr(f.def)
			}
			if v := **f.v; v < f.lo || v > f.hi {
				return clientErr("Invalid 'healthCheck' setting for container '%s'. %s must be between %d and %d.", name, f.field, f.lo, f.hi)
			}
		}
	}
	for _, m := range c.MountPoints {
		src := deref(m.SourceVolume)
		if !cv.volumes[src] {
			return clientErr("Invalid 'mountPoints' setting for container '%s'. Unknown volume '%s'.", name, src)
		}
		if deref(m.ContainerPath) == "" {
			return clientErr("Invalid 'mountPoints' setting for container '%s'. containerPath must be specified.", name)
		}
	}
	c.Environment = nonNil(c.Environment)
	c.MountPoints = nonNil(c.MountPoints)
	c.VolumesFrom = nonNil(c.VolumesFrom)
	c.PortMappings = nonNil(c.PortMappings)
	c.SystemControls = nonNil(c.SystemControls)
	return nil
}

// references checks dependsOn, volumesFrom and links, which name other
// containers, and that dependsOn has no cycle.
func (cv *containerCheck) references(defs []ecsapi.ContainerDefinition) error {
	for _, c := range defs {
		name := deref(c.Name)
		for _, v := range c.VolumesFrom {
			src := deref(v.SourceContainer)
			if _, ok := cv.names[src]; !ok || src == name {
				return clientErr("Invalid 'volumesFrom' setting for container '%s'. Unknown container '%s'.", name, src)
			}
		}
		for _, l := range c.Links {
			target, _, _ := strings.Cut(l, ":")
			if _, ok := cv.names[target]; !ok || target == name {
				return clientErr("Invalid 'links' setting for container '%s'. Unknown container '%s'.", name, target)
			}
		}
		for _, d := range c.DependsOn {
			dep := deref(d.ContainerName)
			j, ok := cv.names[dep]
			if !ok || dep == name {
				return clientErr("Invalid 'dependsOn' setting for container '%s'. Unknown container '%s'.", name, dep)
			}
			cond := deref(d.Condition)
			if !slices.Contains(ecsapi.ContainerConditionValues(), cond) {
				return clientErr("Invalid 'dependsOn' condition %q for container '%s'.", cond, name)
			}
			if cond == "HEALTHY" && defs[j].HealthCheck == nil {
				return clientErr("Container '%s' depends on the health of container '%s', which has no healthCheck.", name, dep)
			}
			if (cond == "COMPLETE" || cond == "SUCCESS") && defs[j].Essential != nil && *defs[j].Essential {
				return clientErr("Container '%s' cannot depend on the %s condition of essential container '%s'.", name, cond, dep)
			}
		}
	}
	// Cycle check: depth-first over dependsOn edges.
	state := make([]int8, len(defs)) // 0 new, 1 on stack, 2 done
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		for _, d := range defs[i].DependsOn {
			j := cv.names[deref(d.ContainerName)]
			if state[j] == 1 || state[j] == 0 && !visit(j) {
				return false
			}
		}
		state[i] = 2
		return true
	}
	for i := range defs {
		if state[i] == 0 && !visit(i) {
			return clientErr("The dependsOn settings of the task definition form a cycle.")
		}
	}
	return nil
}

// requiredAttributes are the instance attributes a task definition's
// features need, as ECS derives them (requiresAttributes): the logging
// drivers, task IAM roles, execution-role log delivery, awsvpc, container
// health checks and ordering.
func requiredAttributes(td *ecsapi.TaskDefinition) []ecsapi.Attribute {
	seen := map[string]bool{}
	var out []ecsapi.Attribute
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, ecsapi.Attribute{Name: ptr(name)})
		}
	}
	if deref(td.TaskRoleArn) != "" {
		add(capTaskIAMRole)
	}
	if deref(td.NetworkMode) == scheduler.NetworkAWSVPC {
		add(capTaskENI)
	}
	for _, c := range td.ContainerDefinitions {
		if lc := c.LogConfiguration; lc != nil {
			d := deref(lc.LogDriver)
			add(capLoggingDriver + d)
			if d == "awslogs" && deref(td.ExecutionRoleArn) != "" {
				add(capExecAwslogs)
			}
		}
		if c.HealthCheck != nil {
			add(capHealthCheck)
		}
		if len(c.DependsOn) > 0 {
			add(capContainerOrdering)
		}
	}
	slices.SortFunc(out, func(a, b ecsapi.Attribute) int { return strings.Compare(*a.Name, *b.Name) })
	if out == nil {
		out = []ecsapi.Attribute{}
	}
	return out
}

// schedulerErr maps the scheduler's parameter errors to
// InvalidParameterException.
func schedulerErr(err error) error {
	var ipe *scheduler.InvalidParameterError
	if errors.As(err, &ipe) {
		return invalidParam("%s", ipe.Message)
	}
	return fmt.Errorf("ecs: %w", err)
}
