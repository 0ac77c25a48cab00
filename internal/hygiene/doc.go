// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package hygiene holds repository-wide rules checked as tests: every
// package has one package doc in doc.go, every file carries the SPDX
// header, hand-written files stay within the size budget, and the agent
// never imports the control plane.
package hygiene
