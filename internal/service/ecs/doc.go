// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package ecs implements the Amazon ECS API for the EC2 launch type over
// the store: clusters, container instances and their attributes, task
// definitions, tasks (RunTask, StartTask, StopTask, the agent's state
// changes), services with a rolling-update controller, tags, and the
// agent-facing DiscoverPollEndpoint and Submit* calls. The Service also
// describes each operation's IAM action, resources and condition keys to
// the gateway (gateway.Describer) and serves the ACS server the tasks of
// each container instance (agentapi.Backend).
//
// # Records
//
//	ecs-clusters   NAME                   status, tags, settings
//	ecs-instances  CLUSTER/ID             registration: resources, status, agent
//	                                      connection, attributes, tags
//	ecs-usage      CLUSTER/ID             what the instance's tasks use: CPU,
//	                                      memory, host ports, live tasks, task
//	                                      groups (small: the placement hot path)
//	ecs-tasks      CLUSTER/ID             one task; indexed by instance, cluster,
//	                                      family, service, startedBy (each with the
//	                                      desired status), live-on-instance, stopped
//	ecs-taskdefs   FAMILY REVISION        one revision (the definition as described)
//	ecs-families   FAMILY                 latest revision, latest ACTIVE, ACTIVE count
//	ecs-services   CLUSTER/NAME           configuration, deployments, events
//	ecs-tokens     KIND/CLUSTER/TOKEN     idempotent requests (RunTask and
//	                                      RegisterContainerInstance clientToken)
//
// # Placement
//
// RunTask, StartTask and the service controller place with
// internal/scheduler against an in-memory view of the instances
// (view.go), and commit each instance's new tasks together with its new
// usage record, guarded by the usage record's revision and a check of the
// instance record's (place.go). Concurrent placements, on this replica or
// another, never overcommit an instance: a commit whose instance changed
// fails its guard and its tasks are placed again. Placement reads no task:
// an instance's usage is its own small record, updated by every
// transition that changes it (task_state.go).
//
// The hot writes (placement groups, task state changes) go through a group
// committer (batch.go) that commits the units waiting at the same moment
// in one transaction, each keeping its own guard, so throughput follows
// etcd's put rate rather than its transaction rate.
//
// # Task lifecycle
//
//	PENDING ──agent──► RUNNING ──agent──► STOPPED ──(retention)──► deleted
//	   │                  │                  ▲
//	   └── desired STOPPED (StopTask, service, forced deregistration) ──┘
//
// Tasks start PENDING with desired status RUNNING; the agent reports
// RUNNING and STOPPED through SubmitTaskStateChange (idempotent; a report
// never moves a task backwards). A task's CPU, memory and host ports are
// reserved on its instance at placement and returned when it reaches
// STOPPED, so remainingResources comes back.
//
// # Replicas and background work
//
// Reads come from the replica cache. Run keeps a watch on every ECS table
// (watch.go) that refreshes the placement view and wakes agent sessions and
// the service controller for changes made on any replica. The controller
// (controller.go) and the collector of stopped tasks and inactive
// resources (gc.go) run only on the replica holding the leader lease
// (leader.go, an etcd lease on the key ecs-leader); their writes are
// compare-and-swaps too.
//
// An agent's ACS session may live on any replica, and a reconnecting agent
// may reach a new replica before the old one has noticed the old session
// end. ConnectAgent therefore records agentConnected with a new connection
// generation (the instance record's ConnGen), and DisconnectAgent clears
// it only while that generation is still the record's: the old replica's
// late disconnect never undoes the new connection (agent_backend.go).
//
// # Deviations from ECS, and choices where ECS documents none
//
//   - One region: ARNs carry Config.Region; ARNs of another region or
//     account name nothing.
//   - Only the EC2 launch type, the REPLICA and DAEMON scheduling
//     strategies (daemon.go) and the ECS deployment controller; capacity providers, load balancers,
//     service discovery, circuit breakers and task sets are not modelled
//     (load balancers are stored and echoed).
//   - RegisterContainerInstance adds ecs.availability-zone (REGION + "a",
//     or the instance identity document's zone), ecs.os-type (linux) and,
//     from an identity document, ecs.instance-type, ecs.ami-id and
//     ecs.cpu-architecture, when the agent did not send them. A document
//     that is sent must verify (Deps.Identity, the EC2 service's
//     signature); one that does not is refused with ClientException "The
//     identity document and identity document signature were not
//     valid.". A registration without a document is accepted, as ECS
//     accepts one from an agent run with ECS_NO_IID, unless
//     Config.RequireIdentityDocument is set.
//   - A forced DeregisterContainerInstance stops the instance's tasks
//     (desired and last status STOPPED) instead of orphaning them.
//   - A DAEMON service's desiredCount counts the ACTIVE instances that
//     satisfy its memberOf constraints and its task definition's required
//     attributes, whether or not they have room for the task (an instance
//     without room gets a placement-failure event); DeleteService needs no
//     force for it.
//   - RunTask tasks that kept losing placement races fail with reason
//     CONFLICT.
package ecs
