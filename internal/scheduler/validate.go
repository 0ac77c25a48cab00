// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"slices"
	"strings"
)

// Limits ECS documents for RunTask and CreateService.
const (
	MaxConstraints = 10 // task definition's and call's constraints together
	MaxStrategies  = 5
)

// binding is a port mapping that takes a host port; hostPort 0 is dynamic.
type binding struct {
	name          string
	containerPort int
	hostPort      int
	udp           bool
}

// compiled is a validated Request in the form placement uses.
type compiled struct {
	req      *Request
	group    string
	cpu, mem int
	tcp, udp portNeeds
	bindings []binding
	required []Attribute
	memberOf []*Query
	dynamic  bool // some memberOf query reads state that placing changes
	distinct bool
	chain    chain
}

// needGroupCount reports whether placement reads Instance.Groups[group].
func (cp *compiled) needGroupCount() bool {
	return cp.distinct || cp.chain.hasSpread()
}

// Validate checks req as ECS checks RunTask and CreateService parameters,
// returning a *InvalidParameterError for the first problem. Place calls it;
// callers may call it earlier to reject a request before touching state.
func (req *Request) Validate() error {
	_, err := compile(req)
	return err
}

func compile(req *Request) (*compiled, error) {
	c := &compiled{req: req, group: req.TaskGroup(), cpu: req.CPU, mem: req.Memory, required: req.RequiredAttributes}
	if req.Count < 1 {
		return nil, invalidParam("count must be at least 1.")
	}
	if req.CPU < 0 || req.Memory < 0 {
		return nil, invalidParam("Task CPU and memory must not be negative.")
	}
	if err := c.compilePorts(req); err != nil {
		return nil, err
	}
	if err := c.compileConstraints(req.Constraints); err != nil {
		return nil, err
	}
	strategies := req.Strategies
	if len(strategies) == 0 {
		strategies = DefaultStrategies(req)
	}
	ch, err := compileChain(strategies)
	if err != nil {
		return nil, err
	}
	c.chain = ch
	return c, nil
}

// TaskGroup returns the request's task group: Group when set, otherwise
// "service:<Service>" for a service's tasks and "family:<Family>" for
// standalone tasks ("Group related Amazon ECS tasks", ECS Developer Guide).
func (req *Request) TaskGroup() string {
	switch {
	case req.Group != "":
		return req.Group
	case req.Service != "":
		return "service:" + req.Service
	}
	return "family:" + req.Family
}

// DefaultStrategies returns the strategies ECS applies when a request names
// none: a service's tasks are spread on attribute:ecs.availability-zone
// ("Use strategies to define Amazon ECS task placement", ECS Developer
// Guide); standalone tasks are placed randomly, as ECS documented when
// placement strategies launched ("By default, tasks are randomly placed
// with RunTask or spread across Availability Zones with CreateService").
func DefaultStrategies(req *Request) []Strategy {
	if req.Service != "" {
		return []Strategy{{Type: StrategySpread, Field: FieldAttributePrefix + AttrAvailabilityZone}}
	}
	return []Strategy{{Type: StrategyRandom}}
}

func (cp *compiled) compilePorts(req *Request) error {
	mode := req.NetworkMode
	switch mode {
	case "", NetworkBridge, NetworkHost:
	case NetworkAWSVPC, NetworkNone:
		return nil // the task's own network namespace: no host port
	default:
		return invalidParam("Invalid network mode %q.", mode)
	}
	var tcp, udp []uint16
	for _, pm := range req.PortMappings {
		if pm.ContainerPort < 1 || pm.ContainerPort > 65535 || pm.HostPort < 0 || pm.HostPort > 65535 {
			return invalidParam("Invalid port mapping %d:%d.", pm.HostPort, pm.ContainerPort)
		}
		b := binding{name: pm.ContainerName, containerPort: pm.ContainerPort, hostPort: pm.HostPort}
		switch pm.Protocol {
		case "", ProtocolTCP:
		case ProtocolUDP:
			b.udp = true
		default:
			return invalidParam("Invalid protocol %q in port mapping.", pm.Protocol)
		}
		if mode == NetworkHost {
			b.hostPort = pm.ContainerPort
		}
		cp.bindings = append(cp.bindings, b)
		needs, list := &cp.tcp, &tcp
		if b.udp {
			needs, list = &cp.udp, &udp
		}
		if b.hostPort == 0 {
			needs.dynamic++
		} else {
			*list = append(*list, uint16(b.hostPort))
		}
	}
	for _, p := range []struct {
		needs *portNeeds
		ports []uint16
	}{{&cp.tcp, tcp}, {&cp.udp, udp}} {
		slices.Sort(p.ports)
		n := len(p.ports)
		p.needs.fixed = slices.Compact(p.ports)
		p.needs.dup = len(p.needs.fixed) != n
	}
	return nil
}

func (cp *compiled) compileConstraints(cs []Constraint) error {
	if len(cs) > MaxConstraints {
		return invalidParam("You can specify up to %d placement constraints, including the task definition's.", MaxConstraints)
	}
	for _, pc := range cs {
		switch pc.Type {
		case ConstraintDistinctInstance:
			if pc.Expression != "" {
				return invalidParam("distinctInstance expression should not be specified.")
			}
			cp.distinct = true
		case ConstraintMemberOf:
			if strings.TrimSpace(pc.Expression) == "" {
				return invalidParam("memberOf expression must be specified.")
			}
			q, err := ParseQuery(pc.Expression)
			if err != nil {
				return err
			}
			cp.memberOf = append(cp.memberOf, q)
			cp.dynamic = cp.dynamic || q.dynamic
		default:
			return invalidParam("Invalid placement constraint type %q.", pc.Type)
		}
	}
	return nil
}
