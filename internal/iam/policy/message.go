// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

// AccessDeniedMessage renders the message AWS returns with AccessDenied, in
// the format of "Troubleshooting access denied error messages":
//
//	User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no identity-based policy allows the ACTION action
//	User: ARN is not authorized to perform: ACTION on resource: RESOURCE with an explicit deny in a resource-based policy
//
// in is the evaluated request and r its result. The "on resource:" part is
// left out for actions without a resource ("" or "*"), as in AWS's examples.
// For an allowed result it returns "". When the deciding resource-based
// policy is a role trust policy the phrase names "the role trust policy", as
// AWS's examples for sts:AssumeRole do.
func AccessDeniedMessage(in *Input, r Result) string {
	if r.Decision == Allowed {
		return ""
	}
	action := in.Action
	msg := "User: " + in.Principal.ARN + " is not authorized to perform: " + action
	if in.Resource != "" && in.Resource != "*" {
		msg += " on resource: " + in.Resource
	}
	trust := r.DecidedBy == TypeResource && in.ResourcePolicy != nil && in.ResourcePolicy.kind == KindTrust
	if r.Decision == ExplicitDeny {
		switch {
		case trust:
			return msg + " with an explicit deny in the role trust policy"
		case r.DecidedBy == TypeIdentity:
			return msg + " with an explicit deny in an identity-based policy"
		case r.DecidedBy == TypeResource:
			return msg + " with an explicit deny in a resource-based policy"
		case r.DecidedBy == TypeBoundary:
			return msg + " with an explicit deny in a permissions boundary"
		case r.DecidedBy == TypeSession:
			return msg + " with an explicit deny in a session policy"
		}
		return msg
	}
	switch {
	case trust:
		return msg + " because no role trust policy allows the " + action + " action"
	case r.DecidedBy == TypeResource:
		return msg + " because no resource-based policy allows the " + action + " action"
	case r.DecidedBy == TypeBoundary:
		return msg + " because no permissions boundary allows the " + action + " action"
	case r.DecidedBy == TypeSession:
		return msg + " because no session policy allows the " + action + " action"
	}
	return msg + " because no identity-based policy allows the " + action + " action"
}
