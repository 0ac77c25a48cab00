// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package scalebench measures the control plane at fleet scale: it starts
// simulated instances (internal/simagent) against a running control plane,
// places tasks with concurrent RunTask calls (count=10), waits until every
// task is RUNNING, then times DescribeTasks and ListTasks at that size.
//
// It reports placements per second (tasks placed over the RunTask phase),
// the time from the first RunTask until every task is RUNNING, RunTask
// p50/p99, DescribeTasks and ListTasks p99, peak memory (VmHWM) of the
// control plane process and of the simulator, and the CPU time each used
// from the first RunTask until every task was RUNNING, per task placed: on
// a shared machine wall-clock rates vary with the load, CPU per task much
// less.
//
// BenchmarkScale in this package's tests runs it against the berth binary
// (or in process); see its doc comment for the command.
package scalebench
