// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package agenttest holds test helpers for the agent packages: a fake
// clock, a loopback-only HTTP client, and the fixtures of tests that run
// on a real Docker Engine and real iptables (skipping with a clear message
// where those are absent): locally built FROM-scratch images of static Go
// programs (ScratchImage, the probe image), test networks, network
// namespaces to run code in (NetNS.Do), and comment-tagged iptables rules
// removed in t.Cleanup.
//
// Network safety: nothing here sends a packet to 169.254.169.254 or
// 169.254.170.2. LinkLocalGuard adds DROP rules for both addresses to
// Docker's forwarding path for the duration of a test, so a mistake in a
// test cannot let a container's packet leave the host for them.
//
// Never imported by non-test code.
package agenttest
