// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package authz decides whether a principal may perform an action on a
// resource: it gathers the policies that apply (identity, permissions
// boundary, session, resource-based) and asks the policy engine.
//
// The gateway calls Authorizer.Authorize for every operation, after
// authentication and before the service handler runs. A denial carries the
// AWS message the protocol codec sends in its AccessDenied shape. Recording
// wraps an Authorizer to report every decided attempt (IAM's service last
// accessed data).
//
// Engine builds the policy engine's Input the same way for live requests
// (Authorize, Evaluate) and for IAM's policy simulator (Simulate), which
// supplies its own documents and context instead of looking them up.
// Given EngineDeps.Revision (the revision of IAM's policy tables), the
// Engine caches each principal's compiled identity policies until the
// revision changes, so every IAM change decides the next request and
// writes to other tables do not evict them.
package authz
