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
// The gateway knows services only through their generated descriptors
// (awsapi.Service) and the API value that implements them; it never
// imports a service package.
package gateway
