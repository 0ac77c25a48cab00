// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package authz decides whether a principal may perform an action on a
// resource: it gathers the policies that apply (identity, permissions
// boundary, session, resource-based) and asks the policy engine.
//
// The gateway calls Authorizer.Authorize for every operation, after
// authentication and before the service handler runs. A denial carries the
// AWS message the protocol codec sends in its AccessDenied shape.
package authz
