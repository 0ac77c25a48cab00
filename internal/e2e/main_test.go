// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"os"
	"testing"

	"github.com/berthdev/berth/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.RunEtcdChildIfRequested()
	os.Exit(m.Run())
}
