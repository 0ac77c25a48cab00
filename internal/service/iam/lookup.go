// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// The lookups other packages make: authorization (PoliciesFor), STS (Role,
// RoleByARN, PolicyDocument) and the control plane (InstanceProfile). They
// read this replica's cache and never write. Values returned are the
// caller's to keep.

// PolicySet is the identity-based policies that govern a principal.
type PolicySet struct {
	// Identity holds the permissions policies: the principal's inline
	// policies and the default versions of its attached managed policies,
	// and for a user also those of each of its groups. A request is allowed
	// only if one of them allows it (and none denies it).
	Identity []PolicyDocument
	// Boundary is the principal's permissions boundary (the default version
	// of a managed policy), nil when it has none.
	Boundary *PolicyDocument
}

// PolicyDocument is one policy of a PolicySet.
type PolicyDocument struct {
	// Key identifies this exact document text and is stable across calls
	// and replicas, so the authorizer can compile each document once: for a
	// managed policy it is its ARN, policy id and version id; for an inline
	// policy the holder's ARN and id, the policy name and a content hash.
	Key string
	// Source is the managed policy's ARN, or the ARN of the user, group or
	// role an inline policy is embedded in.
	Source string
	// Name is the policy's name.
	Name string
	// Managed is true for a managed policy, false for an inline one.
	Managed bool
	// VersionID is the managed policy version in effect (empty for inline).
	VersionID string
	// Document is the policy's JSON text.
	Document string
}

// PoliciesFor returns the identity-based policies that apply to p: for an
// IAM user its own and its groups' policies plus its boundary; for an
// assumed-role session the role's policies plus its boundary (session
// policies travel on the principal itself). The account root and other
// kinds of principal get an empty set. A user or role that no longer
// exists (or was re-created under the same name, for a user) is an error
// wrapping ErrNotFound.
func (s *Service) PoliciesFor(ctx context.Context, p *principal.Principal) (*PolicySet, error) {
	if p == nil {
		return nil, errors.New("iam: PoliciesFor: nil principal")
	}
	switch p.Kind {
	case principal.User:
		rec, err := s.t.users.Get(ctx, nameKey(p.Name))
		if err != nil || (p.UserID != "" && rec.Value.ID != p.UserID) {
			return nil, notFound("user %s", p.Name)
		}
		return s.userPolicies(ctx, rec.Value)
	case principal.AssumedRole:
		r, err := s.roleByARN(ctx, p.RoleARN)
		if err != nil {
			return nil, err
		}
		set := &PolicySet{}
		src := s.roleARN(r)
		s.addInline(&set.Identity, src, r.ID, r.Inline)
		s.addManaged(ctx, &set.Identity, r.Attached)
		set.Boundary = s.boundaryDoc(ctx, r.Boundary)
		return set, nil
	}
	return &PolicySet{}, nil
}

// PoliciesRevision returns a number that changes whenever what PoliciesFor
// returns may have changed: the highest revision this replica's caches
// have applied to the tables PoliciesFor reads (users with their inline
// policies, attachments, boundaries and group memberships; groups; roles;
// customer managed policies and their versions). AWS managed policies are
// immutable. Writes to other tables (ECS, EC2, S3, IAM access keys, last
// used data) leave it unchanged. Read it before PoliciesFor: the result is
// then current for as long as PoliciesRevision returns the same number.
func (s *Service) PoliciesRevision() int64 {
	return max(s.t.users.Revision(), s.t.groups.Revision(), s.t.roles.Revision(), s.t.policies.Revision())
}

func (s *Service) userPolicies(ctx context.Context, u *userRec) (*PolicySet, error) {
	set := &PolicySet{}
	s.addInline(&set.Identity, s.userARN(u), u.ID, u.Inline)
	s.addManaged(ctx, &set.Identity, u.Attached)
	if len(u.Groups) > 0 {
		groups, err := s.groupsByID(ctx, u.Groups)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			s.addInline(&set.Identity, entityARN(s.cfg.AccountID, "group", g.Path, g.Name), g.ID, g.Inline)
			s.addManaged(ctx, &set.Identity, g.Attached)
		}
	}
	set.Boundary = s.boundaryDoc(ctx, u.Boundary)
	return set, nil
}

func (s *Service) addInline(out *[]PolicyDocument, holderARN, holderID string, list []inlineRec) {
	for _, p := range list {
		*out = append(*out, PolicyDocument{
			Key:    "inline:" + holderARN + "#" + holderID + "/" + p.Name + "#" + contentHash(p.Document),
			Source: holderARN, Name: p.Name, Document: p.Document,
		})
	}
}

func (s *Service) addManaged(ctx context.Context, out *[]PolicyDocument, arns []string) {
	for _, a := range arns {
		if d, ok := s.managedDoc(ctx, a); ok {
			*out = append(*out, d)
		}
	}
}

func (s *Service) boundaryDoc(ctx context.Context, policyARN string) *PolicyDocument {
	if policyARN == "" {
		return nil
	}
	d, ok := s.managedDoc(ctx, policyARN)
	if !ok {
		return nil
	}
	return &d
}

// managedDoc returns the default version of the managed policy policyARN.
func (s *Service) managedDoc(ctx context.Context, policyARN string) (PolicyDocument, bool) {
	ref, ok := parsePolicyARN(policyARN)
	if !ok {
		return PolicyDocument{}, false
	}
	if ref.Account == awsAccount {
		p := s.catalog.lookup(ref)
		if p == nil {
			return PolicyDocument{}, false
		}
		return PolicyDocument{
			Key: "managed:" + p.ARN + "#" + p.ID + ":" + p.VersionID, Source: p.ARN, Name: p.Name,
			Managed: true, VersionID: p.VersionID, Document: p.Document,
		}, true
	}
	rec, err := s.t.policies.Get(ctx, nameKey(ref.Name))
	if err != nil || rec.Value.ARN != policyARN {
		return PolicyDocument{}, false
	}
	p := rec.Value
	i := slices.IndexFunc(p.Versions, func(v versionRec) bool { return v.ID == p.Default })
	if i < 0 {
		return PolicyDocument{}, false
	}
	return PolicyDocument{
		Key: "managed:" + p.ARN + "#" + p.ID + ":" + p.Default, Source: p.ARN, Name: p.Name,
		Managed: true, VersionID: p.Default, Document: p.Versions[i].Document,
	}, true
}

// PolicyDocument returns the default version's document of the managed
// policy policyARN (customer or AWS managed), for STS session policies; an
// error wrapping ErrNotFound if there is no such policy.
func (s *Service) PolicyDocument(ctx context.Context, policyARN string) (string, error) {
	d, ok := s.managedDoc(ctx, policyARN)
	if !ok {
		return "", notFound("policy %s", policyARN)
	}
	return d.Document, nil
}

// RoleInfo is what STS and the control plane need to know about a role.
type RoleInfo struct {
	Name   string
	Path   string
	ARN    string
	RoleID string // AROA…
	// TrustPolicy is the assume-role policy document (JSON).
	TrustPolicy string
	// MaxSessionDuration is in seconds, 3600..43200.
	MaxSessionDuration int32
	// Tags become aws:PrincipalTag/* of the role's sessions.
	Tags map[string]string
	// PermissionsBoundary is the boundary policy's ARN, "" if none.
	PermissionsBoundary string
	Created             time.Time
}

func (s *Service) roleInfo(r *roleRec) *RoleInfo {
	return &RoleInfo{
		Name: r.Name, Path: r.Path, ARN: s.roleARN(r), RoleID: r.ID, TrustPolicy: r.Trust,
		MaxSessionDuration: r.MaxSession, Tags: tagMap(r.Tags), PermissionsBoundary: r.Boundary, Created: r.Created,
	}
}

// Role returns the role named name (without regard to case); an error
// wrapping ErrNotFound if there is none.
func (s *Service) Role(ctx context.Context, name string) (*RoleInfo, error) {
	rec, err := s.t.roles.Get(ctx, nameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("role %s", name)
	}
	if err != nil {
		return nil, err
	}
	return s.roleInfo(rec.Value), nil
}

// RoleByARN returns the role roleARN names (arn:aws:iam::ACCOUNT:role/PATH/NAME
// in this account, path included); an error wrapping ErrNotFound otherwise.
func (s *Service) RoleByARN(ctx context.Context, roleARN string) (*RoleInfo, error) {
	r, err := s.roleByARN(ctx, roleARN)
	if err != nil {
		return nil, err
	}
	return s.roleInfo(r), nil
}

func (s *Service) roleByARN(ctx context.Context, roleARN string) (*roleRec, error) {
	path, name, ok := s.splitEntityARN(roleARN, "role/")
	if !ok {
		return nil, notFound("role %s", roleARN)
	}
	rec, err := s.t.roles.Get(ctx, nameKey(name))
	if err != nil || rec.Value.Path != path || rec.Value.Name != name {
		return nil, notFound("role %s", roleARN)
	}
	return rec.Value, nil
}

// splitEntityARN splits an IAM ARN of this account with resource kind
// ("role/", "instance-profile/") into path and name.
func (s *Service) splitEntityARN(entityARN, kind string) (path, name string, ok bool) {
	a, err := arn.Parse(entityARN)
	if err != nil || a.Service != "iam" || a.AccountID != s.cfg.AccountID {
		return "", "", false
	}
	rest, found := strings.CutPrefix(a.Resource, kind)
	if !found || rest == "" {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	return "/" + rest[:i+1], rest[i+1:], true
}

// InstanceProfileInfo is an instance profile and the role it holds.
type InstanceProfileInfo struct {
	Name  string
	Path  string
	ARN   string
	ID    string // AIPA…
	Roles []RoleInfo
}

// InstanceProfile returns the instance profile named name with its roles
// (at most one); an error wrapping ErrNotFound if there is none.
func (s *Service) InstanceProfile(ctx context.Context, name string) (*InstanceProfileInfo, error) {
	rec, err := s.t.profiles.Get(ctx, nameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("instance profile %s", name)
	}
	if err != nil {
		return nil, err
	}
	p := rec.Value
	out := &InstanceProfileInfo{Name: p.Name, Path: p.Path, ARN: s.profileARN(p), ID: p.ID}
	roles, err := s.profileRoles(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		out.Roles = append(out.Roles, *s.roleInfo(r))
	}
	return out, nil
}

// InstanceProfileByARN is InstanceProfile by ARN (path included).
func (s *Service) InstanceProfileByARN(ctx context.Context, profileARN string) (*InstanceProfileInfo, error) {
	path, name, ok := s.splitEntityARN(profileARN, "instance-profile/")
	if !ok {
		return nil, notFound("instance profile %s", profileARN)
	}
	p, err := s.InstanceProfile(ctx, name)
	if err != nil {
		return nil, err
	}
	if p.Path != path || p.Name != name {
		return nil, notFound("instance profile %s", profileARN)
	}
	return p, nil
}

// The lookups the authorizer's IAM targets make for every IAM request:
// the path that goes into an entity's ARN and the tags that become
// aws:ResourceTag/*. Both read this replica's cache.

// EntityPath returns the path of the IAM entity of kind ("role", "user",
// "group" or "instance-profile") named name (without regard to case);
// ok is false when there is none.
func (s *Service) EntityPath(ctx context.Context, kind, name string) (path string, ok bool) {
	id := nameKey(name)
	switch kind {
	case "role":
		if r, err := s.t.roles.Get(ctx, id); err == nil {
			return r.Value.Path, true
		}
	case "user":
		if u, err := s.t.users.Get(ctx, id); err == nil {
			return u.Value.Path, true
		}
	case "group":
		if g, err := s.t.groups.Get(ctx, id); err == nil {
			return g.Value.Path, true
		}
	case "instance-profile":
		if p, err := s.t.profiles.Get(ctx, id); err == nil {
			return p.Value.Path, true
		}
	}
	return "", false
}

// ResourceTags returns the tags of the IAM resource resourceARN names: a
// role, user, instance profile or customer managed policy of this
// account, path included. ok is false when there is no such resource;
// tags is nil when it has none. The map is the caller's.
func (s *Service) ResourceTags(ctx context.Context, resourceARN string) (tags map[string]string, ok bool) {
	// arn:aws:iam::ACCOUNT:KIND/PATH/NAME, taken apart without allocating:
	// this runs for every IAM request.
	rest, isIAM := strings.CutPrefix(resourceARN, "arn:"+arn.Partition+":iam::")
	rest, inAccount := strings.CutPrefix(rest, s.cfg.AccountID)
	if !isIAM || !inAccount || !strings.HasPrefix(rest, ":") {
		return nil, false
	}
	rest = rest[1:]
	kind, rest, _ := strings.Cut(rest, "/")
	i := strings.LastIndexByte(rest, '/')
	path, name := "/"+rest[:i+1], rest[i+1:]
	id := nameKey(name)
	switch kind {
	case "role":
		if r, err := s.t.roles.Get(ctx, id); err == nil && r.Value.Path == path && r.Value.Name == name {
			return tagMap(r.Value.Tags), true
		}
	case "user":
		if u, err := s.t.users.Get(ctx, id); err == nil && u.Value.Path == path && u.Value.Name == name {
			return tagMap(u.Value.Tags), true
		}
	case "instance-profile":
		if p, err := s.t.profiles.Get(ctx, id); err == nil && p.Value.Path == path && p.Value.Name == name {
			return tagMap(p.Value.Tags), true
		}
	case "policy":
		if p, err := s.t.policies.Get(ctx, id); err == nil && p.Value.ARN == resourceARN {
			return tagMap(p.Value.Tags), true
		}
	}
	return nil, false
}
