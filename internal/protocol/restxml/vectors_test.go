// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml_test

import (
	"testing"

	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

// inputSkips are the restXml input vectors that test client behaviour.
var inputSkips = protocoltest.Skips{
	"Idempotency token auto fill/2": "the client fills an absent idempotency token with a UUID; a server receives the token the client chose",
	"Header whitespace/1":           "the client trims whitespace from header values and header-map keys before sending; the untrimmed params cannot be recovered from the wire",
}

// outputSkips: none; every restXml output vector applies to a server.
var outputSkips = protocoltest.Skips{}

func TestVectors_Input(t *testing.T) {
	protocoltest.Run(t, protocoltest.Load(t, "input", "rest-xml"), inputSkips, protocoltest.CheckInput)
}

func TestVectors_Output(t *testing.T) {
	protocoltest.Run(t, protocoltest.Load(t, "output", "rest-xml"), outputSkips, protocoltest.CheckOutput)
}
