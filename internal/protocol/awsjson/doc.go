// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package awsjson is the server side of the awsJson 1.0 and 1.1 protocols
// (ECS, ECR, CloudWatch Logs).
//
// A request is a POST whose X-Amz-Target header names the operation
// ("AmazonEC2ContainerServiceV20141113.RunTask") and whose body is a JSON
// object keyed by the members' locationName. Responses are JSON objects of
// the same kind, errors are the status, an X-Amzn-ErrorType header and
// {"__type":"Code","message":"..."}.
//
//	request ─▶ ResolveOperation (X-Amz-Target) ─▶ DecodeInput ─▶ service
//	        ◀─ EncodeOutput / EncodeError ◀──────────────────────┘
//
// Wire rules: timestamps are epoch seconds (with a fraction when needed)
// unless a member's timestampFormat says otherwise, blobs are base64,
// absent (nil) members are omitted, unknown request members are ignored,
// null is an absent value, and an empty body is {}. Decoding reads the body
// once into memory (at most shape.MaxBody) and walks it with a small
// scanner straight into the tagged structs; no intermediate tree is built.
package awsjson
