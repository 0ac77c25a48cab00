// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package sts implements the AWS Security Token Service: AssumeRole,
// GetSessionToken, GetCallerIdentity and GetAccessKeyInfo, plus
// AssumeRoleAsService, the service-initiated assume the control plane uses
// for instance profiles (ec2.amazonaws.com) and task roles
// (ecs-tasks.amazonaws.com).
//
// # Who checks what
//
// The gateway authenticates the caller and checks the caller's identity
// policies (sts:AssumeRole on the role ARN, see AuthzTarget) before a
// handler runs. This package does the role's side: it looks the role up
// (RoleLookup), asks the TrustJudge whether the role's trust policy lets the
// caller assume it, validates the request as STS does, and mints the
// credentials.
//
//	AssumeRole(in)
//	  → validate (model constraints, tags)      ValidationError / InvalidParameterValue
//	  → caller may assume roles at all?          AccessDenied (root, no principal)
//	  → RoleLookup.RoleByARN                      missing role → AccessDenied, same message as a trust denial
//	  → TrustJudge: sts:AssumeRole [+ sts:TagSession] [+ sts:SetSourceIdentity]
//	  → duration: 900 ≤ d ≤ MaxSessionDuration, ≤ 1 h when chaining
//	  → session policies: inline + PolicyLookup (captured now), packed size
//	  → mint ASIA… key, secret, token → Session record in the store → answer
//
// # Sessions
//
// Every temporary credential is a Session record in the store, keyed by
// its access key id, holding the secret, the session token, the expiration
// and the full principal the key stands for (session policies resolved at
// issue time, principal tags merged). Other replicas and restarts see them
// through the store. The authenticator calls SessionCredential and decides
// ExpiredToken itself; records outlive their expiration by
// Config.SessionRetention so it can, and Run deletes them after that.
package sts
