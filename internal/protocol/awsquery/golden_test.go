// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery_test

import (
	"flag"
	"testing"

	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.txtar golden files")

func TestCodec_Golden(t *testing.T) {
	protocoltest.RunGolden(t, "testdata", *update, iamService(), stsService())
}
