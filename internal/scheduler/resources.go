// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

// ContainerResources is what one container definition asks for.
type ContainerResources struct {
	CPU               int // cpu units; 0 when unset
	Memory            int // hard limit in MiB; 0 when unset
	MemoryReservation int // soft limit in MiB; 0 when unset
}

// TaskResources returns the CPU units and MiB of memory a task reserves on
// a container instance, as ECS computes them: the task-level cpu and memory
// when set (non-zero); otherwise the sum over containers of cpu, and of
// memoryReservation when a container sets it, else of memory
// (ContainerDefinition.memoryReservation in the ECS API reference: "If you
// specify memoryReservation, then that value is subtracted from the
// available memory resources for the container instance ... Otherwise, the
// value of memory is used.").
func TaskResources(taskCPU, taskMemory int, containers []ContainerResources) (cpu, memory int) {
	cpu, memory = taskCPU, taskMemory
	if cpu == 0 {
		for _, c := range containers {
			cpu += c.CPU
		}
	}
	if memory == 0 {
		for _, c := range containers {
			if c.MemoryReservation > 0 {
				memory += c.MemoryReservation
			} else {
				memory += c.Memory
			}
		}
	}
	return cpu, memory
}
