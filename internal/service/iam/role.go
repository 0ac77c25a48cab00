// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

func roleKey(name string) string { return key(tableRoles, nameKey(name)) }

// loadRole returns the role named name, or NoSuchEntity.
func loadRole(tx *txn, name string) (*roleRec, error) {
	r, err := getRec[roleRec](tx, roleKey(name))
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

func (s *Service) roleARN(r *roleRec) string {
	return entityARN(s.cfg.AccountID, "role", r.Path, r.Name)
}

// roleView selects the attributes toRole renders; IAM's operations differ.
type roleView int

const (
	roleList   roleView = iota // ListRoles, ListInstanceProfiles: no boundary, tags, last used
	roleCreate                 // CreateRole: adds tags
	roleFull                   // GetRole, UpdateRoleDescription
)

// toRole renders r with its trust policy URL-encoded, as IAM does.
func (s *Service) toRole(r *roleRec, view roleView) iamapi.Role {
	out := iamapi.Role{
		Path:                     ptr(r.Path),
		RoleName:                 ptr(r.Name),
		RoleId:                   ptr(r.ID),
		Arn:                      ptr(s.roleARN(r)),
		CreateDate:               ptr(r.Created),
		AssumeRolePolicyDocument: encodedPtr(r.Trust),
		Description:              r.Description,
		MaxSessionDuration:       ptr(r.MaxSession),
	}
	if view >= roleCreate {
		out.Tags = tagsOut(r.Tags)
	}
	if view == roleFull {
		out.PermissionsBoundary = boundaryOut(r.Boundary)
		out.RoleLastUsed = &iamapi.RoleLastUsed{}
		if lu := s.lastUsed.role(r.Name, r.LastUsed); lu != nil {
			out.RoleLastUsed.LastUsedDate = ptr(lu.Date)
			out.RoleLastUsed.Region = ptr(lu.Region)
		}
	}
	return out
}

// trustDocument decodes and validates a trust policy, including IAM's size
// quota.
func (s *Service) trustDocument(doc string) (string, error) {
	doc = decodeDocument(doc)
	if err := s.checkDocument(doc, Trust); err != nil {
		return "", err
	}
	if documentSize(doc) > quotaTrustPolicySize {
		return "", quotaExceeded("ACLSizePerRole", quotaTrustPolicySize)
	}
	return doc, nil
}

func (v *violations) description(field string, s *string) {
	v.str(field, s, 0, maxDescription, nil, "")
	v.runes(field, s, true, isDescriptionRune, patDescription)
}

// CreateRole implements iamapi.API.
func (s *Service) CreateRole(ctx context.Context, in *iamapi.CreateRoleInput) (*iamapi.CreateRoleOutput, error) {
	var v violations
	v.path("path", in.Path)
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.document("assumeRolePolicyDocument", in.AssumeRolePolicyDocument)
	v.description("description", in.Description)
	v.intRange("maxSessionDuration", in.MaxSessionDuration, minSessionDuration, maxSessionDuration)
	v.arn("permissionsBoundary", in.PermissionsBoundary)
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	tags, err := newTags(in.Tags)
	if err != nil {
		return nil, err
	}
	trust, err := s.trustDocument(*in.AssumeRolePolicyDocument)
	if err != nil {
		return nil, err
	}
	r := &roleRec{
		Name:        *in.RoleName,
		Path:        deref(in.Path),
		ID:          newID(prefixRole),
		Created:     s.now(),
		Trust:       trust,
		Description: in.Description,
		MaxSession:  deref(in.MaxSessionDuration),
		Tags:        tags,
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if r.MaxSession == 0 {
		r.MaxSession = defaultMaxSession
	}
	err = s.update(ctx, func(tx *txn) error {
		existing, err := getRec[roleRec](tx, roleKey(r.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return alreadyExists("Role with name %s already exists.", r.Name)
		}
		r.Boundary = ""
		if in.PermissionsBoundary != nil {
			if err := s.setBoundary(tx, &r.Boundary, *in.PermissionsBoundary); err != nil {
				return err
			}
		}
		tx.put(roleKey(r.Name), r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.toRole(r, roleCreate)
	return &iamapi.CreateRoleOutput{Role: &out}, nil
}

// GetRole implements iamapi.API.
func (s *Service) GetRole(ctx context.Context, in *iamapi.GetRoleInput) (*iamapi.GetRoleOutput, error) {
	if err := requireName("roleName", in.RoleName, maxRoleName); err != nil {
		return nil, err
	}
	var r *roleRec
	err := s.view(ctx, func(tx *txn) (err error) { r, err = loadRole(tx, *in.RoleName); return err })
	if err != nil {
		return nil, err
	}
	out := s.toRole(r, roleFull)
	return &iamapi.GetRoleOutput{Role: &out}, nil
}

// ListRoles implements iamapi.API.
func (s *Service) ListRoles(ctx context.Context, in *iamapi.ListRolesInput) (*iamapi.ListRolesOutput, error) {
	var v violations
	v.pathPrefix("pathPrefix", in.PathPrefix)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := all(ctx, s.t.roles)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(r *roleRec) bool { return !hasPathPrefix(r.Path, in.PathPrefix) })
	p, err := paginate(all, func(r *roleRec) string { return nameKey(r.Name) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListRolesOutput{Roles: []iamapi.Role{}, IsTruncated: ptr(p.Truncated), Marker: p.Marker}
	for _, r := range p.Items {
		out.Roles = append(out.Roles, s.toRole(r, roleList))
	}
	return out, nil
}

// modifyRole applies fn to the role named name in a transaction.
func (s *Service) modifyRole(ctx context.Context, name string, fn func(tx *txn, r *roleRec) error) (*roleRec, error) {
	var out *roleRec
	err := s.update(ctx, func(tx *txn) error {
		r, err := loadRole(tx, name)
		if err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		tx.put(roleKey(r.Name), r)
		out = r
		return nil
	})
	return out, err
}

// UpdateRole implements iamapi.API: description and maximum session
// duration; an omitted member keeps its value.
func (s *Service) UpdateRole(ctx context.Context, in *iamapi.UpdateRoleInput) (*iamapi.UpdateRoleOutput, error) {
	var v violations
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.description("description", in.Description)
	v.intRange("maxSessionDuration", in.MaxSessionDuration, minSessionDuration, maxSessionDuration)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, err := s.modifyRole(ctx, *in.RoleName, func(_ *txn, r *roleRec) error {
		if in.Description != nil {
			r.Description = in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSession = *in.MaxSessionDuration
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateRoleOutput{}, nil
}

// UpdateRoleDescription implements iamapi.API.
func (s *Service) UpdateRoleDescription(ctx context.Context, in *iamapi.UpdateRoleDescriptionInput) (*iamapi.UpdateRoleDescriptionOutput, error) {
	var v violations
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.required("description", in.Description)
	v.description("description", in.Description)
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := s.modifyRole(ctx, *in.RoleName, func(_ *txn, r *roleRec) error {
		r.Description = in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.toRole(r, roleFull)
	return &iamapi.UpdateRoleDescriptionOutput{Role: &out}, nil
}

// UpdateAssumeRolePolicy implements iamapi.API.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, in *iamapi.UpdateAssumeRolePolicyInput) (*iamapi.UpdateAssumeRolePolicyOutput, error) {
	var v violations
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.document("policyDocument", in.PolicyDocument)
	if err := v.err(); err != nil {
		return nil, err
	}
	trust, err := s.trustDocument(*in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	_, err = s.modifyRole(ctx, *in.RoleName, func(_ *txn, r *roleRec) error {
		r.Trust = trust
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAssumeRolePolicyOutput{}, nil
}

// DeleteRole implements iamapi.API. Like IAM it refuses while the role is
// in an instance profile or has attached or inline policies; its
// permissions boundary is released with it.
func (s *Service) DeleteRole(ctx context.Context, in *iamapi.DeleteRoleInput) (*iamapi.DeleteRoleOutput, error) {
	if err := requireName("roleName", in.RoleName, maxRoleName); err != nil {
		return nil, err
	}
	var id string
	err := s.update(ctx, func(tx *txn) error {
		r, err := loadRole(tx, *in.RoleName)
		if err != nil {
			return err
		}
		switch {
		case len(r.Profiles) > 0:
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		case len(r.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(r.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if err := s.setBoundary(tx, &r.Boundary, ""); err != nil {
			return err
		}
		id = r.ID
		tx.del(roleKey(r.Name))
		return dropAccess(tx, r.ID)
	})
	if err != nil {
		return nil, err
	}
	s.lastUsed.forgetRole(*in.RoleName)
	s.lastUsed.forgetAccess(id)
	return &iamapi.DeleteRoleOutput{}, nil
}
