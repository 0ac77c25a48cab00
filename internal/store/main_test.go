// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"os"
	"testing"
)

// The test binary doubles as the helper processes the tests need; TestMain
// dispatches on these variables before running any test.
const (
	// envEtcd makes the binary a standalone etcd serving data dir $value
	// on free loopback ports (see runEtcdChild).
	envEtcd = "BERTH_STORE_TEST_ETCD"
	// envKill makes the binary a writer that acknowledges each write on
	// stdout until it is killed (see runKillChild).
	envKill = "BERTH_STORE_TEST_KILL"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envEtcd); dir != "" {
		os.Exit(runEtcdChild(dir))
	}
	if dir := os.Getenv(envKill); dir != "" {
		os.Exit(runKillChild(dir))
	}
	code := m.Run()
	closeBenchFixture()
	stopSharedEtcd()
	os.Exit(code)
}
