// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import "fmt"

// check returns the first reason inst cannot take one more task, or "" if
// it can. c and hp hold this call's changes to inst (resources, host
// ports); either is nil if the call has not touched it. The order follows ECS's placement process ("Amazon ECS
// task placement": resources first, then constraints), preceded by the
// instance's own state: status, agent connection, required attributes.
func (cp *compiled) check(inst *Instance, c *cand, hp *hostPorts) string {
	switch {
	case inst.Status != StatusActive:
		if inst.Status == "" {
			return ReasonInactive
		}
		return inst.Status
	case !inst.AgentConnected:
		return ReasonAgent
	case !hasAttributes(inst, cp.required):
		return ReasonAttribute
	}
	cpu, mem, placed := inst.RemainingCPU, inst.RemainingMemory, 0
	var tcp, udp []uint16
	if c != nil {
		cpu, mem, placed = c.cpu, c.mem, int(c.placed)
	}
	if hp != nil {
		tcp, udp = hp.tcp, hp.udp
	}
	switch {
	case cpu < cp.cpu:
		return ReasonCPU
	case mem < cp.mem:
		return ReasonMemory
	case !cp.tcp.fits(inst.UsedPorts, tcp, inst):
		return ReasonPorts
	case !cp.udp.fits(inst.UsedUDPPorts, udp, inst):
		return ReasonPortsUDP
	}
	if len(cp.memberOf) > 0 {
		env := evalEnv{inst: inst, placed: placed, group: cp.group}
		for _, q := range cp.memberOf {
			if !q.root.eval(&env) {
				return ReasonMemberOf
			}
		}
	}
	if cp.distinct && (placed > 0 || inst.Groups[cp.group] > 0) {
		return ReasonDistinctInstance
	}
	return ""
}

func hasAttributes(inst *Instance, req []Attribute) bool {
	for _, a := range req {
		v, ok := inst.Attributes[a.Name]
		if !ok || a.Value != "" && v != a.Value {
			return false
		}
	}
	return true
}

// detail explains a failure reason for Failure.Detail.
func (cp *compiled) detail(inst *Instance, c *cand, reason string) string {
	cpu, mem := inst.RemainingCPU, inst.RemainingMemory
	if c != nil {
		cpu, mem = c.cpu, c.mem
	}
	switch reason {
	case ReasonCPU:
		return fmt.Sprintf("the task needs %d CPU units; %d remain", cp.cpu, cpu)
	case ReasonMemory:
		return fmt.Sprintf("the task needs %d MiB of memory; %d MiB remain", cp.mem, mem)
	case ReasonPorts:
		return "a host port the task needs is in use, or no dynamic TCP port is free"
	case ReasonPortsUDP:
		return "a host port the task needs is in use, or no dynamic UDP port is free"
	case ReasonAgent:
		return "the container agent is disconnected"
	case ReasonAttribute:
		return "the instance lacks an attribute the task definition requires"
	case ReasonDistinctInstance:
		return fmt.Sprintf("the instance already runs a task of group %q", cp.group)
	case ReasonMemberOf:
		return "the instance does not satisfy a memberOf expression"
	}
	return "the instance is " + reason
}
