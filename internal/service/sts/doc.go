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
// The gateway authenticates the caller and authorizes AssumeRole once, for
// both sides (see AuthzTarget): sts:AssumeRole on the role ARN, plus
// sts:TagSession and sts:SetSourceIdentity when the request needs them,
// each evaluated by the policy engine with the caller's identity policies
// and the role's trust policy as the resource-based policy. This package
// then looks the role up (RoleLookup), applies STS's own rules and mints
// the credentials. The TrustJudge is asked only for service-initiated
// assumes (AssumeRoleAsService), which do not pass through the gateway.
//
//	gateway: AuthzTarget
//	  → validate (model constraints, session tags)  ValidationError / InvalidParameterValue
//	  → sts:AssumeRole [+ sts:TagSession] [+ sts:SetSourceIdentity]  identity + trust policy
//	AssumeRole(in)
//	  → caller may assume roles at all?          AccessDenied (root, no principal)
//	  → RoleLookup.RoleByARN                      missing role → AccessDenied, same message as a trust denial
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
