// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package acs serves the Amazon ECS agent's websockets: ACS, through which
// each container instance receives its tasks and their role credentials
// (ecs:Poll), and TCS, through which it reports metrics and health
// (ecs:StartTelemetrySession). Both are mounted as gateway streams, so the
// gateway has verified the SigV4-signed upgrade and put the principal in
// the request context; this package authorizes the upgrade itself.
//
// An ACS session, one per connected agent:
//
//	handshake: parse query ─► authorize ecs:Poll ─► Backend.ConnectAgent ─► 101
//	   │ denied: 400 AccessDeniedException   unknown instance: 400 InactiveInstanceException
//	   ▼
//	full sync: PayloadMessage(s) with every task of InstanceTasks
//	   (+ IAMRoleCredentialsMessage per role when sendCredentials=true)
//	   ▼
//	loop ◄── AckRequest / HeartbeatAckRequest / IAMRoleCredentialsAckRequest
//	  │  ◄── WatchInstance: send tasks whose Version changed (stop = desiredStatus STOPPED)
//	  │  ──► HeartbeatMessage every 20–30 s; resend unacknowledged messages
//	  │  ──► IAMRoleCredentialsMessage before credentials expire (same credentialsId)
//	  │  ──► TaskManifestMessage periodically; answer TaskStopVerificationMessage
//	  ▼
//	close: Backend.DisconnectAgent with the session's generation (a newer session, on any replica, wins)
//
// A session holds only in-memory state about its own connection; whatever
// must be shared by replicas comes from the agentapi.Backend. Credentials
// ids are derived from the task ARN and role type with a key every replica
// shares (KeySource), so they survive restarts and reconnects to other
// replicas, and minted credentials are cached per replica until they near
// expiry.
package acs
