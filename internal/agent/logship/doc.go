// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package logship ships the output of awslogs containers to CloudWatch
// Logs (berth's Logs service, or AWS's) from the agent itself.
//
// Why the agent and not dockerd's awslogs driver: that driver signs
// PutLogEvents with the credentials in dockerd's own environment, that
// is, for the instance role, from 169.254.169.254 as seen by dockerd. The
// agent does not control dockerd's environment or its view of the
// metadata service (and tests must never send a packet there), so the
// instance role could never work that way. The agent holds the right
// credentials already: the instance role's (its own SDK chain, from its
// metadata service) and each task's execution role's (pushed over ACS).
// So taskrunner's LogsHook gives Docker the json-file driver for an
// awslogs container, keeping the awslogs options in the task spec, and
// this package's Shipper (a taskrunner hook) follows the output:
//
//	Poststart (container started, or reattached after an agent restart)
//	  └─ follower: ContainerLogsFollow(since = shipped position + 1ns)
//	       lines "<ts> <text>" ──► batch ──► PutLogEvents ──► position saved
//	       (split over 256 KiB)    │ flush at 10,000 events, 1 MiB
//	                               │ (message bytes + 26 per event),
//	                               │ a 24 h span, or 1 s after the
//	                               │ first buffered line
//	       stream ends: container stopped? ── yes ─► final flush, done
//	                                        └─ no ──► reopen from the position
//	RestoreExited (found stopped after an agent restart): the same follower,
//	  but the first stream's end is the end: final flush, done
//	Drain (before the task's containers are removed): waits for done
//	Cleanup: stops the follower, forgets the positions
//
// Before the first batch it creates the log stream (and the group when
// awslogs-create-group is true); ResourceAlreadyExistsException is fine.
// Credentials: the instance role's by default; the task execution role's
// when the task has one and the container's logsAuthStrategy is
// ExecutionRole (as ECS does), read from the credentials manager at each
// refresh so rotated credentials are used. The endpoint is awslogs-
// endpoint (which the control plane renders), else Config.Endpoint; the
// region awslogs-region, else Config.Region.
//
// Delivery: a batch is retried with backoff (Config.RetryMin doubling to
// RetryMax) until it is accepted; it is dropped only for an answer that a
// retry cannot change (InvalidParameterException, DataAlreadyAccepted),
// and that is logged. A denial is logged as an error naming the action
// (logs:PutLogEvents, logs:CreateLogStream, logs:CreateLogGroup), the
// group, the stream and the identity, then retried: nothing is dropped
// silently. Event timestamps are the Docker timestamps in milliseconds,
// made non-decreasing so every batch is chronological.
//
// Long lines: Docker stores a line longer than 16 KiB as partial
// messages; ContainerLogsFollow joins them back (docker.LogFollower), so
// such a line is one event, or, over CloudWatch's 256 KiB event limit
// (MaxEventBytes with the 26 bytes of overhead), several events of at
// most that whose concatenation is the line, as Docker's awslogs driver
// does.
//
// Position: after each accepted batch the Docker timestamp (nanoseconds)
// of its last line is saved in the agent's state file (state.DB
// PutLogPosition); a batch that ends inside a long line saves the line
// before's instead, so that line is read again whole. A restarted agent
// reattaches the container and resumes from just after it; a container
// that stopped while the agent was down (or before its output was all
// shipped) is read once from there, without following (RestoreExited),
// and Drain waits for that before the container is removed. So nothing is
// lost and nothing is sent twice except lines written at the very same
// nanosecond and the first events of a long line a restart cut; a crash
// between an accepted PutLogEvents and the save resends at most that
// batch (at most about one second of output).
package logship
