// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
)

const (
	// defaultRoleSession is AssumeRole's default DurationSeconds and a
	// role's default MaxSessionDuration.
	defaultRoleSession = time.Hour
	// chainedSessionMax caps sessions assumed with temporary credentials.
	chainedSessionMax = time.Hour
	// packedBudget is the compressed size, in bytes, that session
	// policies and tags may occupy: PackedPolicySize is their share of it.
	packedBudget = 2048
)

// ErrAssumeDenied is the cause of every AccessDenied this package returns
// for a role that may not be assumed (missing role, trust denial), so
// in-process callers of AssumeRoleAsService can test for it with errors.Is.
var ErrAssumeDenied = errors.New("sts: role may not be assumed")

// errMFAUnsupported is the cause of the AccessDenied for MFA parameters:
// berth has no MFA devices, so no code can be valid.
var errMFAUnsupported = errors.New("sts: MFA devices are not supported")

// AssumeRole implements stsapi.API. It runs behind the gateway, which has
// authorized the request with AuthzTarget's checks (the role's trust policy
// among them); this does the role's other rules and mints the session.
func (s *Service) AssumeRole(ctx context.Context, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	if err := validateAssumeRole(in); err != nil {
		return nil, err
	}
	roleARN, sessionName := *in.RoleArn, *in.RoleSessionName
	if err := checkARN(roleARN); err != nil {
		return nil, err
	}
	p, err := assumingCaller(ctx, in, roleARN)
	if err != nil {
		return nil, err
	}

	// Role chaining: any temporary credentials, including GetSessionToken's.
	chained := p.IsTemporary()
	parent, err := s.parentSession(ctx, p)
	if err != nil {
		return nil, err
	}
	inherited := parent.transitiveTags()
	if err := validateSessionTags(in.Tags, in.TransitiveTagKeys, lowerKeys(inherited)); err != nil {
		return nil, err
	}

	role, err := s.deps.Roles.RoleByARN(ctx, roleARN)
	if errors.Is(err, ErrRoleNotFound) {
		// AWS answers exactly as for a trust denial: no role enumeration.
		return nil, accessDenied(fmt.Errorf("%w: %w", ErrAssumeDenied, err), "%s", denyMessage(p.ARN, ActionAssumeRole, roleARN))
	}
	if err != nil {
		return nil, awserr.InternalFailure(fmt.Errorf("sts: look up role %s: %w", roleARN, err))
	}

	sourceIdentity := p.SourceIdentity
	if in.SourceIdentity != nil {
		if p.SourceIdentity != "" && *in.SourceIdentity != p.SourceIdentity {
			// A source identity, once set, holds for the whole chain.
			return nil, accessDenied(ErrAssumeDenied, "%s", denyMessage(p.ARN, ActionSetSourceIdentity, roleARN))
		}
		sourceIdentity = *in.SourceIdentity
	}

	// The trust policy (sts:AssumeRole, sts:TagSession,
	// sts:SetSourceIdentity) was evaluated by the gateway before this ran,
	// with the caller's identity policies: see AuthzTarget.

	duration, err := assumeDuration(in.DurationSeconds, role, chained)
	if err != nil {
		return nil, err
	}
	policies, policyARNs, err := s.sessionPolicies(ctx, in)
	if err != nil {
		return nil, err
	}
	requested, transitive := requestedTags(in)
	var packed *int32
	if in.Policy != nil || len(in.PolicyArns) > 0 || len(in.Tags) > 0 || len(inherited) > 0 {
		pct, err := packedPolicySize(in.Policy, policyARNs, inherited, requested, transitive)
		if err != nil {
			return nil, err
		}
		packed = &pct
	}
	transitive = append(transitive, slices.Sorted(maps.Keys(inherited))...)

	sp := roleSessionPrincipal(role, sessionName)
	sp.SessionPolicies, sp.SessionPolicyARNs = policies, policyARNs
	sp.Tags = mergeTags(role.Tags, inherited, requested)
	sp.SourceIdentity = sourceIdentity
	sess, err := s.issue(ctx, sp, duration, transitive)
	if err != nil {
		return nil, err
	}
	out := &stsapi.AssumeRoleOutput{
		Credentials:      sess.apiCredentials(),
		AssumedRoleUser:  &stsapi.AssumedRoleUser{AssumedRoleId: ptr(sp.UserID), Arn: ptr(sp.ARN)},
		PackedPolicySize: packed,
	}
	if sourceIdentity != "" {
		out.SourceIdentity = ptr(sourceIdentity)
	}
	return out, nil
}

// judge asks the TrustJudge and turns a denial into AccessDenied.
func (s *Service) judge(ctx context.Context, req AssumeRequest, who string) error {
	d, err := s.deps.Trust.AllowAssume(ctx, req)
	if err != nil {
		return awserr.InternalFailure(fmt.Errorf("sts: evaluate trust policy of %s: %w", req.Role.ARN, err))
	}
	if d.Allowed {
		return nil
	}
	msg := d.Message
	if msg == "" {
		msg = denyMessage(who, req.Action, req.Role.ARN)
	}
	return accessDenied(ErrAssumeDenied, "%s", msg)
}

// assumingCaller returns the caller of AssumeRole if it may assume roles
// at all: IAM users and role or federated sessions, without MFA (berth has
// no MFA devices). The root may not.
func assumingCaller(ctx context.Context, in *stsapi.AssumeRoleInput, roleARN string) (*principal.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	switch p.Kind {
	case principal.Root:
		return nil, accessDenied(ErrAssumeDenied, "Roles may not be assumed by root accounts.")
	case principal.User, principal.AssumedRole, principal.FederatedUser:
	default:
		return nil, accessDenied(ErrAssumeDenied, "%s", denyMessage(p.ARN, ActionAssumeRole, roleARN))
	}
	if in.SerialNumber != nil || in.TokenCode != nil {
		return nil, accessDenied(errMFAUnsupported, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	return p, nil
}

// assumeDuration is the session length AssumeRole grants: DurationSeconds
// (default one hour) within the role's MaxSessionDuration and, for role
// chaining, within one hour.
func assumeDuration(seconds *int32, role *Role, chained bool) (time.Duration, error) {
	d := defaultRoleSession
	if seconds != nil {
		d = time.Duration(*seconds) * time.Second
	}
	if d > maxSession(role) {
		return 0, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if chained && d > chainedSessionMax {
		return 0, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	return d, nil
}

// requestedTags returns the session tags of in and its transitive keys,
// spelt as in the tags.
func requestedTags(in *stsapi.AssumeRoleInput) (map[string]string, []string) {
	tags := make(map[string]string, len(in.Tags))
	for _, t := range in.Tags {
		tags[*t.Key] = *t.Value
	}
	var transitive []string
	for _, k := range in.TransitiveTagKeys {
		transitive = append(transitive, tagKeyIn(tags, k))
	}
	return tags, transitive
}

// parentSession returns the session p signed with when p is a role session
// or GetSessionToken session, or nil.
func (s *Service) parentSession(ctx context.Context, p *principal.Principal) (*Session, error) {
	if !p.IsTemporary() || p.AccessKeyID == "" {
		return nil, nil
	}
	sess, err := s.sessions.get(ctx, p.AccessKeyID)
	if errors.Is(err, ErrSessionNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, awserr.InternalFailure(err)
	}
	return sess, nil
}

// sessionPolicies returns the session policy documents (inline first, then
// the managed ones in request order, resolved now as AWS captures them at
// issue time) and the managed policies' ARNs.
func (s *Service) sessionPolicies(ctx context.Context, in *stsapi.AssumeRoleInput) (docs, arns []string, err error) {
	if in.Policy != nil {
		var v any
		if err := json.Unmarshal([]byte(*in.Policy), &v); err != nil {
			return nil, nil, stsapi.ErrMalformedPolicyDocument("The policy is not in the valid JSON format.").WithCause(err)
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, nil, stsapi.ErrMalformedPolicyDocument("The policy is not in the valid JSON format.")
		}
		docs = append(docs, *in.Policy)
	}
	for _, pd := range in.PolicyArns {
		a := *pd.Arn
		if err := checkARN(a); err != nil {
			return nil, nil, err
		}
		if s.deps.Policies == nil {
			return nil, nil, invalidParameter("Policy %s does not exist or is not attachable.", a)
		}
		doc, err := s.deps.Policies.PolicyDocument(ctx, a)
		if errors.Is(err, ErrPolicyNotFound) {
			return nil, nil, invalidParameter("Policy %s does not exist or is not attachable.", a).WithCause(err)
		}
		if err != nil {
			return nil, nil, awserr.InternalFailure(fmt.Errorf("sts: look up policy %s: %w", a, err))
		}
		docs = append(docs, doc)
		arns = append(arns, a)
	}
	return docs, arns, nil
}

// assumeContext is the request's condition keys for the trust policy.
func assumeContext(in *stsapi.AssumeRoleInput, p *principal.Principal) map[string][]string {
	c := map[string][]string{"sts:RoleSessionName": {*in.RoleSessionName}}
	if in.ExternalId != nil {
		c["sts:ExternalId"] = []string{*in.ExternalId}
	}
	if in.SourceIdentity != nil {
		c["sts:SourceIdentity"] = []string{*in.SourceIdentity}
	}
	if p != nil && p.SourceIdentity != "" {
		c["aws:SourceIdentity"] = []string{p.SourceIdentity}
	}
	if len(in.Tags) > 0 {
		keys := make([]string, 0, len(in.Tags))
		for _, t := range in.Tags {
			c["aws:RequestTag/"+*t.Key] = []string{*t.Value}
			keys = append(keys, *t.Key)
		}
		c["aws:TagKeys"] = keys
	}
	if len(in.TransitiveTagKeys) > 0 {
		c["sts:TransitiveTagKeys"] = append([]string(nil), in.TransitiveTagKeys...)
	}
	return c
}

// roleSessionPrincipal is the principal of a new session of role.
func roleSessionPrincipal(role *Role, sessionName string) *principal.Principal {
	account := ""
	if a, err := arn.Parse(role.ARN); err == nil {
		account = a.AccountID
	}
	return &principal.Principal{
		Kind:      principal.AssumedRole,
		AccountID: account,
		// The role's path is not part of the session ARN.
		ARN:         arn.New("sts", "", account, "assumed-role/"+role.Name+"/"+sessionName),
		UserID:      role.RoleID + ":" + sessionName,
		Name:        role.Name,
		RoleARN:     role.ARN,
		SessionName: sessionName,
	}
}

// maxSession is role's MaxSessionDuration.
func maxSession(role *Role) time.Duration {
	if role.MaxSessionDuration <= 0 {
		return defaultRoleSession
	}
	return time.Duration(role.MaxSessionDuration) * time.Second
}

// checkARN rejects a string that is not an ARN, as STS does.
func checkARN(s string) error {
	if _, err := arn.Parse(s); err != nil {
		return validationError("%s is invalid", s).WithCause(err)
	}
	return nil
}

// denyMessage is AWS's AccessDenied message for sts actions.
func denyMessage(who, action, resource string) string {
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, action, resource)
}

// mergeTags overlays tag sets in order; keys compare case-insensitively, as
// IAM tag keys do, and a later set's spelling wins.
func mergeTags(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, set := range sets {
		for k, v := range set {
			for old := range out {
				if strings.EqualFold(old, k) {
					delete(out, old)
				}
			}
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tagKeyIn returns the spelling of key used in tags (keys compare
// case-insensitively), or key itself.
func tagKeyIn(tags map[string]string, key string) string {
	for k := range tags {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return key
}

func lowerKeys(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[strings.ToLower(k)] = true
	}
	return out
}

// packedPolicySize approximates AWS's packed size: the session policy (with
// insignificant whitespace removed), the managed policy ARNs and the
// session tags, deflated, as a percentage of packedBudget. Over 100 fails
// with PackedPolicyTooLarge.
func packedPolicySize(policy *string, policyARNs []string, inherited, tags map[string]string, transitive []string) (int32, error) {
	var buf bytes.Buffer
	if policy != nil {
		if err := json.Compact(&buf, []byte(*policy)); err != nil {
			buf.WriteString(*policy)
		}
	}
	for _, a := range policyARNs {
		buf.WriteString("\x00" + a)
	}
	for _, set := range []map[string]string{inherited, tags} {
		for k, v := range set {
			buf.WriteString("\x00" + k + "=" + v)
		}
	}
	for _, k := range transitive {
		buf.WriteString("\x00" + k)
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression) // only fails for a bad level
	_, _ = w.Write(buf.Bytes())
	_ = w.Close()
	pct := int32((z.Len()*100 + packedBudget - 1) / packedBudget)
	if pct > 100 {
		return 0, stsapi.ErrPackedPolicyTooLarge("Packed policy consumes %d%% of allotted space, please use smaller policy.", pct)
	}
	return pct, nil
}

func ptr[T any](v T) *T { return &v }
