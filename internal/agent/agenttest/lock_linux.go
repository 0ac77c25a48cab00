// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agenttest

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// LockHostNetworking serialises, across test processes (go test runs
// packages in parallel), the tests that change host-wide networking state
// such as the route_localnet sysctl or the credentials DNAT. The lock is
// released in t.Cleanup.
func LockHostNetworking(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(os.TempDir()+"/berth-test-hostnet.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	})
}
