// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package protocol turns HTTP requests into the generated awsapi input
// structs and output structs and errors back into HTTP responses, for every
// AWS protocol berth serves. The codecs are generic: they walk the structs
// with reflection, guided by the struct-tag contract documented in
// internal/awsapi, so generated code stays small and holds no wire logic.
//
//	protocol            Codec, For: pick the codec for a service
//	protocol/awsjson    awsJson 1.0/1.1: ECS, ECR, CloudWatch Logs
//	protocol/awsquery   awsQuery: IAM, STS
//	protocol/restxml    restXml: S3 (with routing)
//	protocol/ec2query   EC2's query dialect: EC2
//	protocol/querycore  query requests in, XML out: shared by awsquery and ec2query
//	protocol/shape      the tag contract, cached per type; scalars, timestamps
//	protocol/xmlbody    XML bodies, shared by awsquery and restxml
//
// The gateway uses a codec like this:
//
//	codec := protocol.For(svc)                      // once, at wiring
//	op, err := codec.(protocol.Resolver).ResolveOperation(r)
//	in := op.NewInput()
//	if err := codec.DecodeInput(r, op, in); err != nil { ... }
//	out, err := op.Invoke(ctx, api, in)
//	if err != nil {
//		codec.EncodeError(w, awserr.From(err), reqID)
//		return
//	}
//	if err := codec.EncodeOutput(w, op, out, reqID); err != nil { ... }
//
// Every error a codec returns from DecodeInput or ResolveOperation is an
// *awserr.Error carrying the protocol's own code; the codecs serialize only
// Code, Message, Fields and the status of an error, never its cause.
package protocol
