// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package policy is berth's IAM policy language: it parses and validates
// policy documents with AWS's MalformedPolicyDocument messages, compiles
// them once per policy version, and evaluates requests with the logic AWS
// documents, so that berth's decisions are AWS's. It is pure: no store, no
// HTTP, no clock (the caller puts aws:CurrentTime in the Context).
//
// The pieces:
//
//	Parse(doc, kind) ──► *Policy ──► Compile ──► *Compiled (cache per ARN+version)
//	                                                 │
//	Input{Principal, Identity, Boundary, Session, ResourcePolicy,
//	      Action, Resource, ResourceAccount, Context} ──► Evaluate ──► Result
//	                                                 │
//	             AccessDeniedMessage(in, result) ◄───┘
//
// Evaluation order (see Evaluate): explicit deny anywhere wins; then a
// resource-based policy may grant (same account) depending on how it names
// the caller; then identity-based policies ∩ permissions boundary ∩ session
// policies; a role trust policy must always allow; a cross-account request
// needs the caller's account and the resource's policy to both allow.
//
// Matching rules: actions and service prefixes are case-insensitive;
// resources are case-sensitive and matched as ARNs segment by segment (a *
// in the resource segment may span / and :); condition keys are
// case-insensitive and values case-sensitive unless the operator ignores
// case; policy variables are substituted only under Version 2012-10-17, and
// a variable without a value (and no default) makes its statement
// inapplicable.
//
// Example:
//
//	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//	  "Action":"ecs:Poll","Resource":"arn:aws:ecs:us-east-1:111122223333:container-instance/*"}}`
//	p, err := policy.Parse(doc, policy.KindManaged)
//	if err != nil {
//		var ve *policy.ValidationError
//		if errors.As(err, &ve) {
//			return iamapi.ErrMalformedPolicyDocument(ve.Message)
//		}
//		return err
//	}
//	compiled := policy.Compile(p) // cache this
//
//	in := inputPool.Get().(*policy.Input) // Inputs and Contexts are reusable
//	defer func() { in.Reset(); inputPool.Put(in) }()
//	in.Principal = policy.Principal{Type: policy.PrincipalRoleSession,
//		ARN:     "arn:aws:sts::111122223333:assumed-role/ecsInstanceRole/i-0abc",
//		Account: "111122223333", RoleARN: "arn:aws:iam::111122223333:role/ecsInstanceRole"}
//	in.Identity = []*policy.Compiled{compiled}
//	in.Action = "ecs:Poll"
//	in.Resource = "arn:aws:ecs:us-east-1:111122223333:container-instance/default/abc"
//	in.Context = ctx // ctx.Set(policy.KeySourceIP, "10.0.0.7") ...
//	r := policy.Evaluate(in)
//	if r.Decision != policy.Allowed {
//		return awserr.AccessDenied(policy.AccessDeniedMessage(in, r))
//	}
//
// Write-time messages and where they come from: "Syntax errors in policy.",
// "The policy failed legacy parsing", "Policy document must be version
// 2012-10-17 or greater." (CreatePolicy of a document that is not
// 2012-10-17; KindManaged), "Policy statement must contain actions.",
// "Policy statement must contain resources.", "Actions/Conditions must be
// prefaced by a vendor, e.g., iam, sdb, ec2, etc.", "Policy document should
// not specify a principal." (identity policies), "Has prohibited field
// Resource" (trust policies), "Missing required field Principal" (resource
// policies, S3's wording), "Invalid principal in policy: ..." and the SID
// messages are the texts IAM returns as users report them; IAM's JSON
// grammar page gives the rules.
package policy
