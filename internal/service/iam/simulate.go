// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
)

// PolicyEngine decides the policy simulator's requests. The control plane
// passes the gateway's authorizer (authz.Engine), so a simulation is
// decided exactly as the same request through the gateway would be.
type PolicyEngine interface {
	Simulate(ctx context.Context, sim *authz.Simulation) (authz.SimulationResult, error)
}

// The SourcePolicyType IAM's simulator reports: "IAM Policy" for every
// identity-based policy (what IAM returns, although the model's
// PolicySourceType enum does not list it), "Resource Policy" for the
// resource-based policy.
const (
	sourceIAMPolicy      = "IAM Policy"
	sourceResourcePolicy = "Resource Policy"
)

// simPolicy is one document of a simulation with the id IAM reports its
// statements under.
type simPolicy struct {
	id, typ string
	key     string // the engine's compile-cache key
	doc     string // decoded JSON
}

func (p simPolicy) document(kind policy.Kind) authz.Document {
	return authz.Document{Key: p.key, Text: p.doc, Kind: kind}
}

// simulation is a parsed, validated Simulate* request.
type simulation struct {
	identity  []simPolicy
	boundary  *simPolicy
	resource  *simPolicy
	caller    *principal.Principal
	owner     string // resource owner account; "" for the resource ARN's
	actions   []string
	resources []string // as given; nil means "*"
	context   map[string][]string
}

// simInput holds the members SimulatePrincipalPolicy and
// SimulateCustomPolicy share.
type simInput struct {
	policies, boundaries                  []string
	actions, resources                    []string
	resourcePolicy, owner, caller, option *string
	entries                               []iamapi.ContextEntry
	marker                                *string
	maxItems                              *int32
}

// resourceHandlingOptions are the EC2 scenarios IAM's simulator accepts.
var resourceHandlingOptions = []string{"EC2-Classic-InstanceStore", "EC2-Classic-EBS", "EC2-VPC-InstanceStore", "EC2-VPC-InstanceStore-Subnet", "EC2-VPC-EBS", "EC2-VPC-EBS-Subnet"}

// validate checks the shared members against the model.
func (in *simInput) validate(v *violations, policiesRequired bool) {
	if policiesRequired {
		requiredList(v, "policyInputList", in.policies)
	}
	documentList(v, "policyInputList", in.policies)
	documentList(v, "permissionsBoundaryPolicyInputList", in.boundaries)
	requiredList(v, "actionNames", in.actions)
	for i := range in.actions {
		v.str("actionNames."+strconv.Itoa(i+1)+".member", &in.actions[i], 3, 128, nil, "")
	}
	for i := range in.resources {
		v.str("resourceArns."+strconv.Itoa(i+1)+".member", &in.resources[i], 1, maxARN, nil, "")
	}
	if in.resourcePolicy != nil {
		v.document("resourcePolicy", in.resourcePolicy)
	}
	v.str("resourceOwner", in.owner, 1, maxARN, nil, "")
	v.str("callerArn", in.caller, 1, maxARN, nil, "")
	v.str("resourceHandlingOption", in.option, 1, 64, nil, "")
	for i, e := range in.entries {
		f := "contextEntries." + strconv.Itoa(i+1) + ".member."
		v.str(f+"contextKeyName", e.ContextKeyName, 5, 256, nil, "")
		v.enum(f+"contextKeyType", e.ContextKeyType, iamapi.ContextKeyTypeEnumValues())
	}
	v.page(in.marker, in.maxItems)
}

// requiredList records a missing required list member.
func requiredList(v *violations, field string, list []string) {
	if list == nil {
		*v = append(*v, "Value null at '"+field+"' failed to satisfy constraint: Member must not be null")
	}
}

func documentList(v *violations, field string, docs []string) {
	for i := range docs {
		v.document(field+"."+strconv.Itoa(i+1)+".member", &docs[i])
	}
}

// parseSimulation turns the shared members into a simulation; extra
// identity policies (PolicyInputList) follow the ones already in sim.
func (s *Service) parseSimulation(ctx context.Context, in *simInput, sim *simulation) error {
	for i, doc := range in.policies {
		p, err := s.simDocument("PolicyInputList."+strconv.Itoa(i+1), doc, policy.KindIdentity)
		if err != nil {
			return err
		}
		sim.identity = append(sim.identity, p)
	}
	switch len(in.boundaries) {
	case 0:
	case 1:
		p, err := s.simDocument("PermissionsBoundaryPolicyInputList.1", in.boundaries[0], policy.KindBoundary)
		if err != nil {
			return err
		}
		sim.boundary = &p
	default:
		return invalidInput("Only one permissions boundary policy is allowed in PermissionsBoundaryPolicyInputList.")
	}
	if in.resourcePolicy != nil {
		p, err := s.simDocument("ResourcePolicy", *in.resourcePolicy, policy.KindResource)
		if err != nil {
			return err
		}
		p.typ = sourceResourcePolicy
		sim.resource = &p
	}
	if in.option != nil && !slices.Contains(resourceHandlingOptions, *in.option) {
		return invalidInput("Invalid ResourceHandlingOption: %s.", *in.option)
	}
	if in.caller != nil {
		p, err := s.simCaller(ctx, *in.caller)
		if err != nil {
			return err
		}
		sim.caller = p
	}
	if in.owner != nil {
		a, err := arn.Parse(*in.owner)
		if err != nil || a.Service != "iam" || a.Resource != "root" || !arn.IsAccountID(a.AccountID) {
			return invalidInput("ResourceOwner %s is not the ARN of an account (arn:aws:iam::ACCOUNT:root).", *in.owner)
		}
		sim.owner = a.AccountID
	} else if sim.resource != nil && sim.caller != nil {
		sim.owner = sim.caller.AccountID
	}
	sim.actions, sim.resources = in.actions, in.resources
	sim.context = map[string][]string{}
	for _, e := range in.entries {
		if e.ContextKeyName != nil {
			sim.context[*e.ContextKeyName] = append(sim.context[*e.ContextKeyName], e.ContextKeyValues...)
		}
	}
	return nil
}

// simDocument decodes and parses one input document, as IAM checks them
// before simulating: a document the policy language rejects is
// InvalidInput with the policy engine's message.
func (s *Service) simDocument(id, doc string, kind policy.Kind) (simPolicy, error) {
	doc = decodeDocument(doc)
	if _, err := policy.Parse(doc, kind); err != nil {
		msg := err.Error()
		var ve *policy.ValidationError
		if errors.As(err, &ve) {
			msg = ve.Message
		}
		return simPolicy{}, invalidInput("%s: %s", id, msg)
	}
	return simPolicy{id: id, typ: sourceIAMPolicy, key: "sim:" + kind.String() + ":" + contentHash(doc), doc: doc}, nil
}

// simCaller is the principal CallerArn names: only an IAM user ARN.
func (s *Service) simCaller(ctx context.Context, callerARN string) (*principal.Principal, error) {
	a, err := arn.Parse(callerARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") || !arn.IsAccountID(a.AccountID) {
		return nil, invalidInput("Invalid CallerArn: %s. The caller must be an IAM user.", callerARN)
	}
	p := &principal.Principal{Kind: principal.User, AccountID: a.AccountID, ARN: callerARN, Name: a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]}
	if a.AccountID == s.cfg.AccountID {
		if rec, err := s.t.users.Get(ctx, nameKey(p.Name)); err == nil && s.userARN(rec.Value) == callerARN {
			p.UserID, p.Tags = rec.Value.ID, tagMap(rec.Value.Tags)
		}
	}
	return p, nil
}

// sourcePolicies adds the policies of the user, group or role
// PolicySourceArn names, with a user's group policies, and its permissions
// boundary; for a user it becomes the caller.
func (s *Service) sourcePolicies(ctx context.Context, sourceARN string, sim *simulation) error {
	a, err := arn.Parse(sourceARN)
	if err != nil || a.Service != "iam" {
		return invalidInput("Invalid PolicySourceArn: %s.", sourceARN)
	}
	kind, _, _ := strings.Cut(a.Resource, "/")
	var set *PolicySet
	switch kind {
	case "user":
		path, name, ok := s.splitEntityARN(sourceARN, "user/")
		rec, err := s.t.users.Get(ctx, nameKey(name))
		if !ok || err != nil || rec.Value.Path != path || rec.Value.Name != name {
			return noSuchEntity("The user with name %s cannot be found.", name)
		}
		if set, err = s.userPolicies(ctx, rec.Value); err != nil {
			return err
		}
		sim.caller = s.userPrincipal(rec.Value)
	case "role":
		r, err := s.roleByARN(ctx, sourceARN)
		if err != nil {
			return noSuchEntity("The role with name %s cannot be found.", a.Resource[strings.LastIndexByte(a.Resource, '/')+1:])
		}
		set = &PolicySet{Boundary: s.boundaryDoc(ctx, r.Boundary)}
		s.addInline(&set.Identity, s.roleARN(r), r.ID, r.Inline)
		s.addManaged(ctx, &set.Identity, r.Attached)
	case "group":
		path, name, ok := s.splitEntityARN(sourceARN, "group/")
		rec, err := s.t.groups.Get(ctx, nameKey(name))
		if !ok || err != nil || rec.Value.Path != path || rec.Value.Name != name {
			return noSuchEntity("The group with name %s cannot be found.", name)
		}
		set = &PolicySet{}
		s.addInline(&set.Identity, sourceARN, rec.Value.ID, rec.Value.Inline)
		s.addManaged(ctx, &set.Identity, rec.Value.Attached)
	default:
		return invalidInput("Invalid PolicySourceArn: %s. It must be the ARN of an IAM user, group or role.", sourceARN)
	}
	for _, d := range set.Identity {
		sim.identity = append(sim.identity, storedSimPolicy(d))
	}
	if set.Boundary != nil {
		b := storedSimPolicy(*set.Boundary)
		sim.boundary = &b
	}
	return nil
}

// storedSimPolicy labels a stored policy as IAM's simulator does: a
// managed policy by its name, an inline one as KIND_HOLDER_POLICY
// ("user_alice_S3Access").
func storedSimPolicy(d PolicyDocument) simPolicy {
	id := d.Name
	if !d.Managed {
		if a, err := arn.Parse(d.Source); err == nil {
			kind, _, _ := strings.Cut(a.Resource, "/")
			id = kind + "_" + a.Resource[strings.LastIndexByte(a.Resource, '/')+1:] + "_" + d.Name
		}
	}
	return simPolicy{id: id, typ: sourceIAMPolicy, key: d.Key, doc: d.Document}
}

// SimulatePrincipalPolicy implements iamapi.API.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, in *iamapi.SimulatePrincipalPolicyInput) (*iamapi.SimulatePrincipalPolicyOutput, error) {
	si := &simInput{policies: in.PolicyInputList, boundaries: in.PermissionsBoundaryPolicyInputList, actions: in.ActionNames,
		resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, owner: in.ResourceOwner, caller: in.CallerArn,
		option: in.ResourceHandlingOption, entries: in.ContextEntries, marker: in.Marker, maxItems: in.MaxItems}
	var v violations
	v.requiredARN("policySourceArn", in.PolicySourceArn)
	si.validate(&v, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	sim := &simulation{}
	if err := s.sourcePolicies(ctx, *in.PolicySourceArn, sim); err != nil {
		return nil, err
	}
	entityBoundary := sim.boundary
	if err := s.parseSimulation(ctx, si, sim); err != nil {
		return nil, err
	}
	if sim.boundary == nil {
		sim.boundary = entityBoundary
	}
	if sim.resource != nil && sim.caller == nil {
		return nil, invalidInput("CallerArn is required when a ResourcePolicy is included and PolicySourceArn is not an IAM user.")
	}
	if sim.caller == nil {
		sim.caller = &principal.Principal{Kind: principal.User, AccountID: s.cfg.AccountID}
	}
	results, truncated, marker, err := s.simulate(ctx, sim, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.SimulatePrincipalPolicyOutput{EvaluationResults: results, IsTruncated: &truncated, Marker: marker}, nil
}

// SimulateCustomPolicy implements iamapi.API.
func (s *Service) SimulateCustomPolicy(ctx context.Context, in *iamapi.SimulateCustomPolicyInput) (*iamapi.SimulateCustomPolicyOutput, error) {
	si := &simInput{policies: in.PolicyInputList, boundaries: in.PermissionsBoundaryPolicyInputList, actions: in.ActionNames,
		resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, owner: in.ResourceOwner, caller: in.CallerArn,
		option: in.ResourceHandlingOption, entries: in.ContextEntries, marker: in.Marker, maxItems: in.MaxItems}
	var v violations
	si.validate(&v, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	sim := &simulation{}
	if err := s.parseSimulation(ctx, si, sim); err != nil {
		return nil, err
	}
	if sim.resource != nil && sim.caller == nil {
		return nil, invalidInput("CallerArn is required when a ResourcePolicy is included.")
	}
	results, truncated, marker, err := s.simulate(ctx, sim, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.SimulateCustomPolicyOutput{EvaluationResults: results, IsTruncated: &truncated, Marker: marker}, nil
}

// contextKeys returns the condition keys (and policy variables) the
// documents reference, each once, in the case first written.
func contextKeys(docs []simPolicy) ([]string, error) {
	parsed := make([]*policy.Policy, 0, len(docs))
	for _, d := range docs {
		p, err := policy.Parse(d.doc, policy.KindIdentity)
		if err != nil {
			continue // stored documents were validated when written
		}
		parsed = append(parsed, p)
	}
	keys := policy.ContextKeys(parsed...)
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// GetContextKeysForCustomPolicy implements iamapi.API.
func (s *Service) GetContextKeysForCustomPolicy(ctx context.Context, in *iamapi.GetContextKeysForCustomPolicyInput) (*iamapi.GetContextKeysForCustomPolicyOutput, error) {
	var v violations
	requiredList(&v, "policyInputList", in.PolicyInputList)
	documentList(&v, "policyInputList", in.PolicyInputList)
	if err := v.err(); err != nil {
		return nil, err
	}
	sim := &simulation{}
	if err := s.parseSimulation(ctx, &simInput{policies: in.PolicyInputList}, sim); err != nil {
		return nil, err
	}
	keys, err := contextKeys(sim.identity)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetContextKeysForCustomPolicyOutput{ContextKeyNames: keys}, nil
}

// GetContextKeysForPrincipalPolicy implements iamapi.API: the keys of the
// policies attached to a user (with its groups'), group or role, and of
// PolicyInputList.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, in *iamapi.GetContextKeysForPrincipalPolicyInput) (*iamapi.GetContextKeysForPrincipalPolicyOutput, error) {
	var v violations
	v.requiredARN("policySourceArn", in.PolicySourceArn)
	documentList(&v, "policyInputList", in.PolicyInputList)
	if err := v.err(); err != nil {
		return nil, err
	}
	sim := &simulation{}
	if err := s.sourcePolicies(ctx, *in.PolicySourceArn, sim); err != nil {
		return nil, err
	}
	if err := s.parseSimulation(ctx, &simInput{policies: in.PolicyInputList}, sim); err != nil {
		return nil, err
	}
	keys, err := contextKeys(sim.identity)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetContextKeysForPrincipalPolicyOutput{ContextKeyNames: keys}, nil
}
