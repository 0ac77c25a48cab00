// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package docker is the agent's narrow view of the Docker Engine API: the
// handful of image, container and network calls the task runner makes, and
// nothing else.
//
// Client is the interface the agent depends on; Engine implements it over
// the official Go client (github.com/docker/docker/client) with API version
// negotiation, and dockertest.Fake implements it in memory for unit tests.
// Every method takes a context: its deadline bounds the call (a stop's grace
// period included), and cancelling it abandons the call, never the
// container.
//
// Optional abilities are separate interfaces found by type assertion:
// StatsReader (one-shot container stats for the task metadata endpoint).
// Engine additionally offers test conveniences (ImageBuild, NetworkCreate,
// ContainerLogs) that are not part of Client.
package docker
