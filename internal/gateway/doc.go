// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package gateway is berth's single HTTP front door for every AWS API.
//
// Each request flows through one chain:
//
//	request id → recover → route (X-Amz-Target / Action+Version / REST path)
//	  → buffer body (awsJson, awsQuery) → authenticate (SigV4)
//	  → decode input (protocol codec) → authorize (every operation)
//	  → invoke the service → encode output or the protocol's error shape
//
// Authorization asks about the Target a service's Describer names (action,
// resources, condition keys) and then about the Target's Extra checks,
// which stand for the further authorizations AWS makes for one request:
// the tagging action when a create call carries tags (tag-on-create),
// sts:TagSession and sts:SetSourceIdentity on AssumeRole. All must allow;
// the first denial is the answer.
//
// The gateway knows services only through their generated descriptors
// (awsapi.Service) and the API value that implements them; it never
// imports a service package.
package gateway
