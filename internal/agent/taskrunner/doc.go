// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package taskrunner runs the tasks the control plane gives the agent, as
// Docker containers, and reports what happens to them.
//
// A Runner owns one goroutine per task (an event loop, Nomad style) that
// walks the task through its life:
//
//	Apply ─► PENDING: pull (per ECS_IMAGE_PULL_BEHAVIOR, with registry auth),
//	         create (labels, ports, env, cmd/entrypoint, CPU shares, memory
//	         limit/reservation, dockerConfig overlay, hooks), start — each
//	         container once its dependsOn conditions hold (START, COMPLETE,
//	         SUCCESS, HEALTHY)
//	      ─► RUNNING once every container started (host ports read back
//	         from Docker)
//	      ─► STOPPED when an essential container exits (the others get
//	         SIGTERM, then SIGKILL after their stopTimeout), when the
//	         control plane asks (desired STOPPED), or when a container can
//	         never start
//	      ─► cleanup after CleanupWait: containers removed, credentials and
//	         metadata forgotten, checkpoint deleted
//
// Every change is reported through Deps.OnStateChange (the agent submits
// it with SubmitTaskStateChange) and checkpointed in the Store, so Close
// followed by a new Runner's Restore (an agent restart, even after kill
// -9) reattaches to the running containers without restarting them.
//
// Behaviour that concerns other parts of the agent lives in hooks, one
// per file: creds_hook.go (credentials registration and
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), metadata_hook.go
// (ECS_CONTAINER_METADATA_URI[_V4], AWS_REGION, task metadata),
// logs_hook.go (LogConfig pass-through; awslogs becomes json-file, shipped
// by the agent's logship hook),
// network_hook.go (container IPs for the credentials endpoint's source
// check).
//
// Task mirrors the ACS task shape of internal/acs/wire; FromWire converts
// a PayloadMessage task.
package taskrunner
