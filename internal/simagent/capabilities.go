// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import "fmt"

// capabilities are the attributes a simulated instance registers with: the
// capabilities a Linux ECS agent with Docker advertises by default
// (ecs-init's logging drivers and task IAM roles included), so task
// definitions that require them (awslogs, task roles, health checks...)
// can be placed on it.
func capabilities() map[string]string {
	attrs := map[string]string{
		"ecs.os-type":          "linux",
		"ecs.os-family":        "LINUX",
		"ecs.cpu-architecture": "x86_64",
		"berth.simulated":      "true",
	}
	for _, c := range []string{
		"com.amazonaws.ecs.capability.privileged-container",
		"com.amazonaws.ecs.capability.ecr-auth",
		"com.amazonaws.ecs.capability.task-iam-role",
		"com.amazonaws.ecs.capability.task-iam-role-network-host",
		"com.amazonaws.ecs.capability.logging-driver.json-file",
		"com.amazonaws.ecs.capability.logging-driver.syslog",
		"com.amazonaws.ecs.capability.logging-driver.awslogs",
		"com.amazonaws.ecs.capability.logging-driver.fluentd",
		"com.amazonaws.ecs.capability.logging-driver.none",
		"ecs.capability.execution-role-awslogs",
		"ecs.capability.execution-role-ecr-pull",
		"ecs.capability.container-health-check",
		"ecs.capability.container-ordering",
		"ecs.capability.task-cpu-mem-limit",
		"ecs.capability.secrets.asm.environment-variables",
		"ecs.capability.secrets.ssm.environment-variables",
		"ecs.capability.env-files.s3",
		"ecs.capability.docker-plugin.local",
		"ecs.capability.full-sync",
	} {
		attrs[c] = ""
	}
	for _, v := range []string{"1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27",
		"1.28", "1.29", "1.30", "1.31", "1.32", "1.38", "1.39", "1.40", "1.41", "1.42", "1.43", "1.44"} {
		attrs[fmt.Sprintf("com.amazonaws.ecs.capability.docker-remote-api.%s", v)] = ""
	}
	return attrs
}
