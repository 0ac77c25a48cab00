// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package config reads the agent's configuration: /etc/ecs/ecs.config, a
// KEY=VALUE file (the Amazon ECS agent's env-file format: one assignment
// per line, # comments, blank lines, optional "export ", values optionally
// in single or double quotes), overridden key by key by the process
// environment.
//
// Keys the Amazon ECS agent knows keep their meaning (ECS_CLUSTER,
// ECS_BACKEND_HOST, ECS_LOGLEVEL, ECS_RESERVED_MEMORY, ECS_RESERVED_PORTS,
// ECS_RESERVED_PORTS_UDP, ECS_CONTAINER_STOP_TIMEOUT,
// ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION, ECS_INSTANCE_ATTRIBUTES,
// ECS_CONTAINER_INSTANCE_TAGS, ECS_DATADIR, ECS_AWSVPC_BLOCK_IMDS,
// ECS_IMAGE_PULL_BEHAVIOR, ECS_TASK_METADATA_RPS_LIMIT,
// ECS_SKIP_LOCALHOST_TRAFFIC_FILTER, AWS_DEFAULT_REGION, DOCKER_HOST ...);
// berth's own keys start with BERTH_ (see Keys). Other ECS_ keys are
// accepted and ignored (listed in Config.Ignored), so one file can serve
// both agents; an unknown BERTH_ key is an error, as a typo would
// otherwise silently change nothing.
//
// Load is all or nothing: it validates every key and returns every problem
// at once (errors.Join), or a complete Config.
package config
