// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package dockertest provides Fake, an in-memory docker.Client for unit
// tests of the task runner: images, containers with scripted process
// behaviour (run forever, exit with a code after a while, ignore SIGTERM),
// dynamic host ports, bridge IPs, health status and a log of the calls
// made. It needs no daemon.
package dockertest
