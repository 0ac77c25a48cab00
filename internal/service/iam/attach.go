// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

// holder is an entity managed policies attach to, loaded in a transaction.
type holder struct {
	attached *[]string // the entity's attached policy ARNs
	save     func()    // writes the entity back
	quota    string    // the quota's name in LimitExceeded
	limit    int
}

func (s *Service) userHolder(name string) func(*txn) (holder, error) {
	return func(tx *txn) (holder, error) {
		u, err := loadUser(tx, name)
		if err != nil {
			return holder{}, err
		}
		return holder{&u.Attached, func() { tx.put(userKey(u.Name), u) }, "PoliciesPerUser", s.cfg.Quotas.PoliciesPerUser}, nil
	}
}

func (s *Service) groupHolder(name string) func(*txn) (holder, error) {
	return func(tx *txn) (holder, error) {
		g, err := loadGroup(tx, name)
		if err != nil {
			return holder{}, err
		}
		return holder{&g.Attached, func() { tx.put(groupKey(g.Name), g) }, "PoliciesPerGroup", s.cfg.Quotas.PoliciesPerGroup}, nil
	}
}

func (s *Service) roleHolder(name string) func(*txn) (holder, error) {
	return func(tx *txn) (holder, error) {
		r, err := loadRole(tx, name)
		if err != nil {
			return holder{}, err
		}
		return holder{&r.Attached, func() { tx.put(roleKey(r.Name), r) }, "PoliciesPerRole", s.cfg.Quotas.PoliciesPerRole}, nil
	}
}

// attach attaches policyARN to the entity load finds and counts the
// attachment on the policy, in one transaction. Attaching twice is a no-op.
func (s *Service) attach(ctx context.Context, load func(*txn) (holder, error), policyARN string) error {
	return s.update(ctx, func(tx *txn) error {
		h, err := load(tx)
		if err != nil {
			return err
		}
		p, err := s.attachablePolicy(tx, policyARN)
		if err != nil {
			return err
		}
		if slices.Contains(*h.attached, p.arn) {
			return nil
		}
		if len(*h.attached) >= h.limit {
			return quotaExceeded(h.quota, h.limit)
		}
		*h.attached = append(*h.attached, p.arn)
		p.usage.Attachments++
		h.save()
		p.save(tx)
		return nil
	})
}

// detach undoes attach; a policy that is not attached is NoSuchEntity.
func (s *Service) detach(ctx context.Context, load func(*txn) (holder, error), policyARN string) error {
	return s.update(ctx, func(tx *txn) error {
		h, err := load(tx)
		if err != nil {
			return err
		}
		rest, found := removeString(*h.attached, policyARN)
		if !found {
			return noSuchEntity("Policy %s was not found.", policyARN)
		}
		*h.attached = rest
		h.save()
		if p, ok, err := s.resolvePolicy(tx, policyARN); err != nil {
			return err
		} else if ok && p.usage.Attachments > 0 {
			p.usage.Attachments--
			p.save(tx)
		}
		return nil
	})
}

func attachInput(field string, name *string, maxName int, policyARN *string) error {
	var v violations
	v.requiredName(field, name, maxName)
	v.requiredARN("policyArn", policyARN)
	return v.err()
}

// AttachUserPolicy implements iamapi.API.
func (s *Service) AttachUserPolicy(ctx context.Context, in *iamapi.AttachUserPolicyInput) (*iamapi.AttachUserPolicyOutput, error) {
	if err := attachInput("userName", in.UserName, maxUserName, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.attach(ctx, s.userHolder(*in.UserName), *in.PolicyArn); err != nil {
		return nil, err
	}
	return &iamapi.AttachUserPolicyOutput{}, nil
}

// DetachUserPolicy implements iamapi.API.
func (s *Service) DetachUserPolicy(ctx context.Context, in *iamapi.DetachUserPolicyInput) (*iamapi.DetachUserPolicyOutput, error) {
	if err := attachInput("userName", in.UserName, maxUserName, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.detach(ctx, s.userHolder(*in.UserName), *in.PolicyArn); err != nil {
		return nil, err
	}
	return &iamapi.DetachUserPolicyOutput{}, nil
}

// AttachGroupPolicy implements iamapi.API.
func (s *Service) AttachGroupPolicy(ctx context.Context, in *iamapi.AttachGroupPolicyInput) (*iamapi.AttachGroupPolicyOutput, error) {
	if err := attachInput("groupName", in.GroupName, maxGroupName, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.attach(ctx, s.groupHolder(*in.GroupName), *in.PolicyArn); err != nil {
		return nil, err
	}
	return &iamapi.AttachGroupPolicyOutput{}, nil
}

// DetachGroupPolicy implements iamapi.API.
func (s *Service) DetachGroupPolicy(ctx context.Context, in *iamapi.DetachGroupPolicyInput) (*iamapi.DetachGroupPolicyOutput, error) {
	if err := attachInput("groupName", in.GroupName, maxGroupName, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.detach(ctx, s.groupHolder(*in.GroupName), *in.PolicyArn); err != nil {
		return nil, err
	}
	return &iamapi.DetachGroupPolicyOutput{}, nil
}

// AttachRolePolicy implements iamapi.API.
func (s *Service) AttachRolePolicy(ctx context.Context, in *iamapi.AttachRolePolicyInput) (*iamapi.AttachRolePolicyOutput, error) {
	if err := attachInput("roleName", in.RoleName, maxRoleName, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.attach(ctx, s.roleHolder(*in.RoleName), *in.PolicyArn); err != nil {
		return nil, err
	}
	return &iamapi.AttachRolePolicyOutput{}, nil
}

// DetachRolePolicy implements iamapi.API.
func (s *Service) DetachRolePolicy(ctx context.Context, in *iamapi.DetachRolePolicyInput) (*iamapi.DetachRolePolicyOutput, error) {
	if err := attachInput("roleName", in.RoleName, maxRoleName, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.detach(ctx, s.roleHolder(*in.RoleName), *in.PolicyArn); err != nil {
		return nil, err
	}
	return &iamapi.DetachRolePolicyOutput{}, nil
}

// attachedPage pages an entity's attached policies, in name order,
// filtered by policy path.
func attachedPage(arns []string, pathPrefix, marker *string, maxItems *int32) (pageOf[iamapi.AttachedPolicy], error) {
	var items []iamapi.AttachedPolicy
	for _, a := range arns {
		ref, ok := parsePolicyARN(a)
		if !ok || !hasPathPrefix(ref.Path, pathPrefix) {
			continue
		}
		items = append(items, iamapi.AttachedPolicy{PolicyName: ptr(ref.Name), PolicyArn: ptr(a)})
	}
	p, err := paginate(items, func(ap iamapi.AttachedPolicy) string { return nameKey(*ap.PolicyName) + "\x00" + *ap.PolicyArn }, marker, maxItems)
	if p.Items == nil {
		p.Items = []iamapi.AttachedPolicy{}
	}
	return p, err
}

func listAttachedInput(field string, name *string, maxName int, pathPrefix, marker *string, maxItems *int32) error {
	var v violations
	v.requiredName(field, name, maxName)
	v.policyPath("pathPrefix", pathPrefix)
	v.page(marker, maxItems)
	return v.err()
}

// ListAttachedUserPolicies implements iamapi.API.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, in *iamapi.ListAttachedUserPoliciesInput) (*iamapi.ListAttachedUserPoliciesOutput, error) {
	if err := listAttachedInput("userName", in.UserName, maxUserName, in.PathPrefix, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	var u *userRec
	if err := s.view(ctx, func(tx *txn) (err error) { u, err = loadUser(tx, *in.UserName); return err }); err != nil {
		return nil, err
	}
	p, err := attachedPage(u.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedUserPoliciesOutput{AttachedPolicies: p.Items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// ListAttachedGroupPolicies implements iamapi.API.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, in *iamapi.ListAttachedGroupPoliciesInput) (*iamapi.ListAttachedGroupPoliciesOutput, error) {
	if err := listAttachedInput("groupName", in.GroupName, maxGroupName, in.PathPrefix, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	var g *groupRec
	if err := s.view(ctx, func(tx *txn) (err error) { g, err = loadGroup(tx, *in.GroupName); return err }); err != nil {
		return nil, err
	}
	p, err := attachedPage(g.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedGroupPoliciesOutput{AttachedPolicies: p.Items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// ListAttachedRolePolicies implements iamapi.API.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, in *iamapi.ListAttachedRolePoliciesInput) (*iamapi.ListAttachedRolePoliciesOutput, error) {
	if err := listAttachedInput("roleName", in.RoleName, maxRoleName, in.PathPrefix, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	var r *roleRec
	if err := s.view(ctx, func(tx *txn) (err error) { r, err = loadRole(tx, *in.RoleName); return err }); err != nil {
		return nil, err
	}
	p, err := attachedPage(r.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedRolePoliciesOutput{AttachedPolicies: p.Items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// policyEntity is one entity in ListEntitiesForPolicy.
type policyEntity struct {
	key   string // kind letter + name key: groups, then roles, then users
	group *iamapi.PolicyGroup
	role  *iamapi.PolicyRole
	user  *iamapi.PolicyUser
}

// uses reports whether an entity with these attachments and boundary uses
// policyARN the way filter (a PolicyUsageType or "") asks.
func uses(attached []string, boundary, policyARN, filter string) bool {
	perm, bound := slices.Contains(attached, policyARN), boundary == policyARN
	switch filter {
	case iamapi.PolicyUsageTypePermissionspolicy:
		return perm
	case iamapi.PolicyUsageTypePermissionsboundary:
		return bound
	}
	return perm || bound
}

// ListEntitiesForPolicy implements iamapi.API.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, in *iamapi.ListEntitiesForPolicyInput) (*iamapi.ListEntitiesForPolicyOutput, error) {
	var v violations
	v.requiredARN("policyArn", in.PolicyArn)
	v.enum("entityFilter", in.EntityFilter, iamapi.EntityTypeValues())
	v.pathPrefix("pathPrefix", in.PathPrefix)
	v.enum("policyUsageFilter", in.PolicyUsageFilter, iamapi.PolicyUsageTypeValues())
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var pol policyOf
	if err := s.view(ctx, func(tx *txn) (err error) { pol, err = s.loadPolicy(tx, *in.PolicyArn); return err }); err != nil {
		return nil, err
	}
	policyARN, filter, usage := pol.arn(), deref(in.EntityFilter), deref(in.PolicyUsageFilter)
	want := func(kind string) bool { return filter == "" || filter == kind }
	var items []policyEntity
	if want(iamapi.EntityTypeGroup) {
		groups, err := byIndex(ctx, s.t.groups, indexPolicy, policyARN)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if uses(g.Attached, "", policyARN, usage) && hasPathPrefix(g.Path, in.PathPrefix) {
				items = append(items, policyEntity{key: "g" + nameKey(g.Name), group: &iamapi.PolicyGroup{GroupName: ptr(g.Name), GroupId: ptr(g.ID)}})
			}
		}
	}
	if want(iamapi.EntityTypeRole) {
		roles, err := byIndex(ctx, s.t.roles, indexPolicy, policyARN)
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			if uses(r.Attached, r.Boundary, policyARN, usage) && hasPathPrefix(r.Path, in.PathPrefix) {
				items = append(items, policyEntity{key: "r" + nameKey(r.Name), role: &iamapi.PolicyRole{RoleName: ptr(r.Name), RoleId: ptr(r.ID)}})
			}
		}
	}
	if want(iamapi.EntityTypeUser) {
		users, err := byIndex(ctx, s.t.users, indexPolicy, policyARN)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if uses(u.Attached, u.Boundary, policyARN, usage) && hasPathPrefix(u.Path, in.PathPrefix) {
				items = append(items, policyEntity{key: "u" + nameKey(u.Name), user: &iamapi.PolicyUser{UserName: ptr(u.Name), UserId: ptr(u.ID)}})
			}
		}
	}
	p, err := paginate(items, func(e policyEntity) string { return e.key }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListEntitiesForPolicyOutput{
		PolicyGroups: []iamapi.PolicyGroup{}, PolicyRoles: []iamapi.PolicyRole{}, PolicyUsers: []iamapi.PolicyUser{},
		IsTruncated: ptr(p.Truncated), Marker: p.Marker,
	}
	for _, e := range p.Items {
		switch {
		case e.group != nil:
			out.PolicyGroups = append(out.PolicyGroups, *e.group)
		case e.role != nil:
			out.PolicyRoles = append(out.PolicyRoles, *e.role)
		default:
			out.PolicyUsers = append(out.PolicyUsers, *e.user)
		}
	}
	return out, nil
}
