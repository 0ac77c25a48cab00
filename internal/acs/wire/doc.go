// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package wire holds the messages of the Amazon ECS agent's two websocket
// protocols, ACS (the agent communication service, ecs:Poll) and TCS (the
// telemetry service, ecs:StartTelemetrySession), and the envelope every
// frame travels in:
//
//	{"type":"PayloadMessage","message":{"messageId":"…","tasks":[…]}}
//
// The type string is the shape name of the ACS or TCS model; field names
// are the models' lowerCamel member names. Both ends of berth use these
// types: the control plane's servers (internal/acs) and the agent-side
// client (internal/agent/acs), so the package imports nothing of berth.
//
// The shapes are written by hand from the protocol description in
// docs/ecs-agent-protocol.md; only members berth sends or reads are
// modelled, and unknown members of received messages are ignored.
package wire
