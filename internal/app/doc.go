// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package app is berth's command line: it parses subcommands and flags into
// configuration and runs the control plane (and, later, the agent) until the
// context ends.
package app
