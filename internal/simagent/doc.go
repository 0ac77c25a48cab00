// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package simagent runs simulated container instances: N agents in one
// process that speak the real agent protocol through internal/agent/acs —
// they register, keep an ACS session (and optionally TCS) open, acknowledge
// payloads, report each task PENDING then RUNNING with its network
// bindings (SubmitTaskStateChange), stop tasks when told to (STOPPED with
// an exit code) and, optionally, let tasks exit on their own after a run
// time. No containers run.
//
// Every instance shares one ECS API client (one HTTP connection pool) and
// one pool of state-change workers; each instance costs one goroutine and
// one websocket, so thousands fit in one process. State changes, the
// fleet's most frequent call, are sent by a lean client (stateclient.go):
// the same signed awsJson1_1 request the SDK sends, without its middleware
// stack, over the fleet's own keep-alive connections (connpool.go).
//
//	task lifecycle (per task, one state change in flight at a time):
//
//	 payload RUNNING ─► [PENDING] ─► (StartDelay) ─► RUNNING ─┬─► (RunDuration) ─► STOPPED exit ExitCode
//	                                                          └─► payload STOPPED ─► STOPPED exit StopExitCode
package simagent
