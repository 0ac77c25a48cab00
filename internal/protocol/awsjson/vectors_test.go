// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson_test

import (
	"testing"

	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

// inputSkips are the awsJson input vectors that test client behaviour.
var inputSkips = protocoltest.Skips{
	"Idempotency token auto fill/2": "the client fills an absent idempotency token with a UUID; a server receives the token the client chose",
}

// outputSkips are the awsJson output vectors that test client tolerance
// of what a server never sends.
var outputSkips = protocoltest.Skips{
	"Lists/2":                               "null list items: the contract types lists as []E values, which cannot hold null, and AWS never sends null items",
	"Ignores extra data/1":                  "the client must ignore members its model lacks; a server only encodes modelled members",
	"unmodeled non-json response payload/1": "the client must survive a non-JSON body; a server always answers JSON",
	"unmodeled non-json response payload/2": "the client must survive a JSON string body; a server always answers an object",
}

func TestVectors_Input(t *testing.T) {
	protocoltest.Run(t, protocoltest.Load(t, "input", "json"), inputSkips, protocoltest.CheckInput)
}

func TestVectors_Output(t *testing.T) {
	protocoltest.Run(t, protocoltest.Load(t, "output", "json"), outputSkips, protocoltest.CheckOutput)
}
