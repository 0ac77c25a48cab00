// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package creds serves what a task may learn about itself: its IAM role
// credentials and its task metadata, on the endpoint the Amazon ECS agent
// serves (tasks are told http://169.254.170.2; netfilter rewrites that to
// the address Server listens on).
//
//	GET /v2/credentials/<id>          role credentials (also /v1/credentials?id=<id>)
//	GET /v3/<endpoint-id>[/task][/stats][/task/stats]   task metadata v3
//	GET /v4/<endpoint-id>[/task][/stats][/task/stats]   task metadata v4 (+ taskWithTags)
//
// Manager holds the credentials (pushed by the control plane over ACS and
// registered by the task runner's creds hook); Registry holds task metadata
// and the IP addresses of each task's containers (registered by the task
// runner's network hook).
//
// # Who may read what
//
// A task can read only its own credentials: the request's source address
// must be the IP of one of the containers of the task the credentials id
// belongs to (bridge tasks reach the endpoint through a DNAT rule, which
// keeps the source address). A container that starts and asks at once may
// be faster than the runner's registration of its IP: while a container of
// any task is between start and registration, an unknown source waits up to
// Config.SettleTimeout for it.
//
// Host-network tasks are the exception. They share the host's addresses,
// so their requests are indistinguishable from any other process on the
// host (the agent, dockerd fetching awslogs credentials, another
// host-network task): a request from a host address (loopback or any
// address of a host interface) may read the credentials of every
// host-network task, and execution-role credentials of any task (dockerd
// needs them for awslogs), and nothing else. For host-network tasks the
// unguessable credentials id is the only secret, exactly as on Amazon ECS
// with ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST; run tasks that must not see
// each other's roles in bridge mode.
//
// A refused request is answered like an unknown id (400
// InvalidIdInRequest), so ids of other tasks cannot be probed. Requests are
// rate limited per source address (429 beyond the limit).
package creds
