// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Command motobench measures berth's server against moto's server on the
// same machine, for DESIGN.md's target "authenticated, authorized API calls:
// over 100x moto's server, p99 under 5 ms at 16 concurrent clients".
//
// It starts both servers as separate processes on 127.0.0.1 (free ports),
// creates the same IAM role and ECS cluster on both, and then drives
// iam:GetRole, ecs:DescribeClusters and ecs:ListTasks with aws-sdk-go-v2
// from 1 and from 16 concurrent clients (each its own SDK client and TCP
// connection) for a fixed time. It reports throughput, p50, p99 and p99.9
// latency, the ratio berth/moto, the CPU time each server and the load
// generator (this process) spent per 1000 calls, and the load average.
//
// berth's calls are made by an IAM user with an access key and a customer
// managed policy created through berth's IAM API, so each call is
// SigV4-verified and authorized by the policy engine, never the root
// shortcut. moto by default verifies no signature and evaluates no policy;
// with -moto-auth it is started with INITIAL_NO_AUTH_ACTION_COUNT set so it
// authenticates and authorizes the same user as berth does (moto's own,
// simpler, IAM checks).
//
// It is a benchmark, not a test: when moto is not installed it says so and
// exits 0. compare.sh builds berth and runs it; see its header for usage.
package main
