// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

// inlineHolder is an entity with inline policies, loaded in a transaction.
type inlineHolder struct {
	list  *[]inlineRec
	save  func()
	kind  string // "user", "group" or "role", as IAM's messages name it
	name  string // the entity's name as stored
	limit int    // aggregate size quota
}

func (s *Service) userInline(name string) func(*txn) (inlineHolder, error) {
	return func(tx *txn) (inlineHolder, error) {
		u, err := loadUser(tx, name)
		if err != nil {
			return inlineHolder{}, err
		}
		return inlineHolder{&u.Inline, func() { tx.put(userKey(u.Name), u) }, "user", u.Name, quotaUserPolicySize}, nil
	}
}

func (s *Service) groupInline(name string) func(*txn) (inlineHolder, error) {
	return func(tx *txn) (inlineHolder, error) {
		g, err := loadGroup(tx, name)
		if err != nil {
			return inlineHolder{}, err
		}
		return inlineHolder{&g.Inline, func() { tx.put(groupKey(g.Name), g) }, "group", g.Name, quotaGroupPolicySize}, nil
	}
}

func (s *Service) roleInline(name string) func(*txn) (inlineHolder, error) {
	return func(tx *txn) (inlineHolder, error) {
		r, err := loadRole(tx, name)
		if err != nil {
			return inlineHolder{}, err
		}
		return inlineHolder{&r.Inline, func() { tx.put(roleKey(r.Name), r) }, "role", r.Name, quotaRolePolicySize}, nil
	}
}

// putInline validates doc and stores it as the entity's inline policy
// policyName, replacing one of that name, within IAM's aggregate size quota.
func (s *Service) putInline(ctx context.Context, load func(*txn) (inlineHolder, error), policyName, doc string) error {
	doc = decodeDocument(doc)
	if err := s.checkDocument(doc, Identity); err != nil {
		return err
	}
	return s.update(ctx, func(tx *txn) error {
		h, err := load(tx)
		if err != nil {
			return err
		}
		size := documentSize(doc)
		for _, p := range *h.list {
			if p.Name != policyName {
				size += documentSize(p.Document)
			}
		}
		if size > h.limit {
			return limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", h.limit, h.kind, h.name)
		}
		list := slices.Clone(*h.list)
		if i := inlineIndex(list, policyName); i >= 0 {
			list[i].Document = doc
		} else {
			list = append(list, inlineRec{Name: policyName, Document: doc})
		}
		*h.list = list
		h.save()
		return nil
	})
}

// getInline returns the entity's name and the inline policy policyName.
func (s *Service) getInline(ctx context.Context, load func(*txn) (inlineHolder, error), policyName string) (string, inlineRec, error) {
	var (
		entity string
		out    inlineRec
	)
	err := s.view(ctx, func(tx *txn) error {
		h, err := load(tx)
		if err != nil {
			return err
		}
		i := inlineIndex(*h.list, policyName)
		if i < 0 {
			return noSuchEntity("The %s policy with name %s cannot be found.", h.kind, policyName)
		}
		entity, out = h.name, (*h.list)[i]
		return nil
	})
	return entity, out, err
}

// deleteInline removes the inline policy policyName.
func (s *Service) deleteInline(ctx context.Context, load func(*txn) (inlineHolder, error), policyName string) error {
	return s.update(ctx, func(tx *txn) error {
		h, err := load(tx)
		if err != nil {
			return err
		}
		i := inlineIndex(*h.list, policyName)
		if i < 0 {
			return noSuchEntity("The %s policy with name %s cannot be found.", h.kind, policyName)
		}
		*h.list = slices.Delete(slices.Clone(*h.list), i, i+1)
		h.save()
		return nil
	})
}

// listInline pages the entity's inline policy names in name order.
func (s *Service) listInline(ctx context.Context, load func(*txn) (inlineHolder, error), marker *string, maxItems *int32) (pageOf[string], error) {
	var names []string
	err := s.view(ctx, func(tx *txn) error {
		h, err := load(tx)
		if err != nil {
			return err
		}
		for _, p := range *h.list {
			names = append(names, p.Name)
		}
		return nil
	})
	if err != nil {
		return pageOf[string]{}, err
	}
	p, err := paginate(names, func(n string) string { return n }, marker, maxItems)
	if p.Items == nil {
		p.Items = []string{}
	}
	return p, err
}

func putInlineInput(field string, name *string, maxName int, policyName, doc *string) error {
	var v violations
	v.requiredName(field, name, maxName)
	v.requiredName("policyName", policyName, maxPolicyName)
	v.document("policyDocument", doc)
	return v.err()
}

func inlineInput(field string, name *string, maxName int, policyName *string) error {
	var v violations
	v.requiredName(field, name, maxName)
	v.requiredName("policyName", policyName, maxPolicyName)
	return v.err()
}

func listInlineInput(field string, name *string, maxName int, marker *string, maxItems *int32) error {
	var v violations
	v.requiredName(field, name, maxName)
	v.page(marker, maxItems)
	return v.err()
}

// PutUserPolicy implements iamapi.API.
func (s *Service) PutUserPolicy(ctx context.Context, in *iamapi.PutUserPolicyInput) (*iamapi.PutUserPolicyOutput, error) {
	if err := putInlineInput("userName", in.UserName, maxExistingUserName, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := s.putInline(ctx, s.userInline(*in.UserName), *in.PolicyName, *in.PolicyDocument); err != nil {
		return nil, err
	}
	return &iamapi.PutUserPolicyOutput{}, nil
}

// GetUserPolicy implements iamapi.API; the document is URL-encoded.
func (s *Service) GetUserPolicy(ctx context.Context, in *iamapi.GetUserPolicyInput) (*iamapi.GetUserPolicyOutput, error) {
	if err := inlineInput("userName", in.UserName, maxExistingUserName, in.PolicyName); err != nil {
		return nil, err
	}
	name, p, err := s.getInline(ctx, s.userInline(*in.UserName), *in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserPolicyOutput{UserName: ptr(name), PolicyName: ptr(p.Name), PolicyDocument: encodedPtr(p.Document)}, nil
}

// DeleteUserPolicy implements iamapi.API.
func (s *Service) DeleteUserPolicy(ctx context.Context, in *iamapi.DeleteUserPolicyInput) (*iamapi.DeleteUserPolicyOutput, error) {
	if err := inlineInput("userName", in.UserName, maxExistingUserName, in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.deleteInline(ctx, s.userInline(*in.UserName), *in.PolicyName); err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserPolicyOutput{}, nil
}

// ListUserPolicies implements iamapi.API.
func (s *Service) ListUserPolicies(ctx context.Context, in *iamapi.ListUserPoliciesInput) (*iamapi.ListUserPoliciesOutput, error) {
	if err := listInlineInput("userName", in.UserName, maxExistingUserName, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	p, err := s.listInline(ctx, s.userInline(*in.UserName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserPoliciesOutput{PolicyNames: p.Items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// PutGroupPolicy implements iamapi.API.
func (s *Service) PutGroupPolicy(ctx context.Context, in *iamapi.PutGroupPolicyInput) (*iamapi.PutGroupPolicyOutput, error) {
	if err := putInlineInput("groupName", in.GroupName, maxGroupName, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := s.putInline(ctx, s.groupInline(*in.GroupName), *in.PolicyName, *in.PolicyDocument); err != nil {
		return nil, err
	}
	return &iamapi.PutGroupPolicyOutput{}, nil
}

// GetGroupPolicy implements iamapi.API; the document is URL-encoded.
func (s *Service) GetGroupPolicy(ctx context.Context, in *iamapi.GetGroupPolicyInput) (*iamapi.GetGroupPolicyOutput, error) {
	if err := inlineInput("groupName", in.GroupName, maxGroupName, in.PolicyName); err != nil {
		return nil, err
	}
	name, p, err := s.getInline(ctx, s.groupInline(*in.GroupName), *in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupPolicyOutput{GroupName: ptr(name), PolicyName: ptr(p.Name), PolicyDocument: encodedPtr(p.Document)}, nil
}

// DeleteGroupPolicy implements iamapi.API.
func (s *Service) DeleteGroupPolicy(ctx context.Context, in *iamapi.DeleteGroupPolicyInput) (*iamapi.DeleteGroupPolicyOutput, error) {
	if err := inlineInput("groupName", in.GroupName, maxGroupName, in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.deleteInline(ctx, s.groupInline(*in.GroupName), *in.PolicyName); err != nil {
		return nil, err
	}
	return &iamapi.DeleteGroupPolicyOutput{}, nil
}

// ListGroupPolicies implements iamapi.API.
func (s *Service) ListGroupPolicies(ctx context.Context, in *iamapi.ListGroupPoliciesInput) (*iamapi.ListGroupPoliciesOutput, error) {
	if err := listInlineInput("groupName", in.GroupName, maxGroupName, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	p, err := s.listInline(ctx, s.groupInline(*in.GroupName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListGroupPoliciesOutput{PolicyNames: p.Items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// PutRolePolicy implements iamapi.API.
func (s *Service) PutRolePolicy(ctx context.Context, in *iamapi.PutRolePolicyInput) (*iamapi.PutRolePolicyOutput, error) {
	if err := putInlineInput("roleName", in.RoleName, maxRoleName, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := s.putInline(ctx, s.roleInline(*in.RoleName), *in.PolicyName, *in.PolicyDocument); err != nil {
		return nil, err
	}
	return &iamapi.PutRolePolicyOutput{}, nil
}

// GetRolePolicy implements iamapi.API; the document is URL-encoded.
func (s *Service) GetRolePolicy(ctx context.Context, in *iamapi.GetRolePolicyInput) (*iamapi.GetRolePolicyOutput, error) {
	if err := inlineInput("roleName", in.RoleName, maxRoleName, in.PolicyName); err != nil {
		return nil, err
	}
	name, p, err := s.getInline(ctx, s.roleInline(*in.RoleName), *in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRolePolicyOutput{RoleName: ptr(name), PolicyName: ptr(p.Name), PolicyDocument: encodedPtr(p.Document)}, nil
}

// DeleteRolePolicy implements iamapi.API.
func (s *Service) DeleteRolePolicy(ctx context.Context, in *iamapi.DeleteRolePolicyInput) (*iamapi.DeleteRolePolicyOutput, error) {
	if err := inlineInput("roleName", in.RoleName, maxRoleName, in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.deleteInline(ctx, s.roleInline(*in.RoleName), *in.PolicyName); err != nil {
		return nil, err
	}
	return &iamapi.DeleteRolePolicyOutput{}, nil
}

// ListRolePolicies implements iamapi.API.
func (s *Service) ListRolePolicies(ctx context.Context, in *iamapi.ListRolePoliciesInput) (*iamapi.ListRolePoliciesOutput, error) {
	if err := listInlineInput("roleName", in.RoleName, maxRoleName, in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	p, err := s.listInline(ctx, s.roleInline(*in.RoleName), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRolePoliciesOutput{PolicyNames: p.Items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}
