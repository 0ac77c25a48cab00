// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package testutil holds helpers for berth's tests: an in-process control
// plane (TestControlPlane), the berth binary built once per test process
// and run as a child (Binary), and aws-sdk-go-v2 configurations pointed at
// either. It is imported only by tests.
package testutil
