// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package protocoltest holds the test harness of the protocol codecs. It
// is imported by tests only.
//
// The AWS protocol test vectors (models/protocol_tests, from the AWS SDK for
// Go v1) are client-side: input vectors give params and the request a
// client must send, output vectors a response and the result a client must
// parse. Run in reverse they check a server: Load builds, for every case,
// Go struct types from the inline shapes at run time (reflect.StructOf,
// with the struct tags of the internal/awsapi contract, so the vectors
// also pin that contract), CheckInput decodes the serialized request and
// compares the struct with the params, CheckOutput encodes the result and
// compares status, headers and body semantically (JSON equality, or
// canonical XML with namespaces resolved, whitespace and attribute order
// ignored, and map entries ordered by key).
//
// It also holds the golden-file helpers (a minimal txtar, request parsing
// and response dumps) and Builder, which turns the shapes of a full model
// (api-2.json) into Go types for routing tests.
package protocoltest
