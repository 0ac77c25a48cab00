// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2query_test

import (
	"testing"

	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

// inputSkips are the EC2 input vectors that test client behaviour.
var inputSkips = protocoltest.Skips{
	"Idempotency token auto fill/2": "the client fills an absent idempotency token with a UUID; a server receives the token the client chose",
}

// outputSkips: none; every EC2 output vector applies to a server.
var outputSkips = protocoltest.Skips{}

func TestVectors_Input(t *testing.T) {
	protocoltest.Run(t, protocoltest.Load(t, "input", "ec2"), inputSkips, protocoltest.CheckInput)
}

func TestVectors_Output(t *testing.T) {
	protocoltest.Run(t, protocoltest.Load(t, "output", "ec2"), outputSkips, protocoltest.CheckOutput)
}
