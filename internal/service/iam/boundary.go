// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

// managedHandle is a managed policy resolved inside a transaction, for
// changing its usage counts: a customer managed policy's own record, or the
// account's usage record of an AWS managed policy.
type managedHandle struct {
	arn   string
	name  string
	key   string     // the record whose counts change
	cust  *policyRec // customer managed, or nil
	aws   *awsPolicy // AWS managed, or nil
	usage *usageRec  // into cust, or a standalone record for aws
}

// save writes the handle's counts back.
func (h *managedHandle) save(tx *txn) {
	if h.cust != nil {
		tx.put(h.key, h.cust)
		return
	}
	if h.usage.Attachments == 0 && h.usage.Boundaries == 0 {
		tx.del(h.key)
		return
	}
	tx.put(h.key, h.usage)
}

// resolvePolicy finds the managed policy policyARN names: InvalidInput for
// a malformed ARN; ok false when no such policy exists in this account or
// the AWS catalog.
func (s *Service) resolvePolicy(tx *txn, policyARN string) (h *managedHandle, ok bool, err error) {
	ref, valid := parsePolicyARN(policyARN)
	if !valid {
		return nil, false, invalidInput("ARN %s is not valid.", policyARN)
	}
	if ref.Account == awsAccount {
		p := s.catalog.lookup(ref)
		if p == nil {
			return nil, false, nil
		}
		key := key(tableAWSUsage, nameKey(p.Name))
		u, err := getRec[usageRec](tx, key)
		if err != nil {
			return nil, false, err
		}
		if u == nil {
			u = &usageRec{}
		}
		return &managedHandle{arn: p.ARN, name: p.Name, key: key, aws: p, usage: u}, true, nil
	}
	if ref.Account != s.cfg.AccountID {
		return nil, false, nil
	}
	key := policyKey(ref.Name)
	p, err := getRec[policyRec](tx, key)
	if err != nil || p == nil || p.ARN != policyARN {
		return nil, false, err
	}
	return &managedHandle{arn: p.ARN, name: p.Name, key: key, cust: p, usage: &p.usageRec}, true, nil
}

// attachablePolicy is resolvePolicy for attaching: a missing policy is
// NoSuchEntity.
func (s *Service) attachablePolicy(tx *txn, policyARN string) (*managedHandle, error) {
	h, ok, err := s.resolvePolicy(tx, policyARN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", policyARN)
	}
	return h, nil
}

// setBoundary points *field (an entity's boundary ARN) at policyARN, ""
// for none, keeping the policies' boundary usage counts right.
func (s *Service) setBoundary(tx *txn, field *string, policyARN string) error {
	if *field == policyARN {
		return nil
	}
	if policyARN != "" {
		h, err := s.attachablePolicy(tx, policyARN)
		if err != nil {
			return err
		}
		h.usage.Boundaries++
		h.save(tx)
	}
	if *field != "" {
		old, ok, err := s.resolvePolicy(tx, *field)
		if err != nil {
			return err
		}
		if ok && old.usage.Boundaries > 0 {
			old.usage.Boundaries--
			old.save(tx)
		}
	}
	*field = policyARN
	return nil
}

func boundaryOut(policyARN string) *iamapi.AttachedPermissionsBoundary {
	if policyARN == "" {
		return nil
	}
	return &iamapi.AttachedPermissionsBoundary{
		PermissionsBoundaryType: ptr(iamapi.PermissionsBoundaryAttachmentTypePermissionsboundarypolicy),
		PermissionsBoundaryArn:  ptr(policyARN),
	}
}

// PutRolePermissionsBoundary implements iamapi.API.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, in *iamapi.PutRolePermissionsBoundaryInput) (*iamapi.PutRolePermissionsBoundaryOutput, error) {
	var v violations
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.requiredARN("permissionsBoundary", in.PermissionsBoundary)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, err := s.modifyRole(ctx, *in.RoleName, func(tx *txn, r *roleRec) error {
		return s.setBoundary(tx, &r.Boundary, *in.PermissionsBoundary)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.PutRolePermissionsBoundaryOutput{}, nil
}

// DeleteRolePermissionsBoundary implements iamapi.API.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, in *iamapi.DeleteRolePermissionsBoundaryInput) (*iamapi.DeleteRolePermissionsBoundaryOutput, error) {
	if err := requireName("roleName", in.RoleName, maxRoleName); err != nil {
		return nil, err
	}
	_, err := s.modifyRole(ctx, *in.RoleName, func(tx *txn, r *roleRec) error {
		return s.setBoundary(tx, &r.Boundary, "")
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteRolePermissionsBoundaryOutput{}, nil
}

// modifyUser applies fn to the user named name in a transaction.
func (s *Service) modifyUser(ctx context.Context, name string, fn func(tx *txn, u *userRec) error) (*userRec, error) {
	var out *userRec
	err := s.update(ctx, func(tx *txn) error {
		u, err := loadUser(tx, name)
		if err != nil {
			return err
		}
		if err := fn(tx, u); err != nil {
			return err
		}
		tx.put(userKey(u.Name), u)
		out = u
		return nil
	})
	return out, err
}

// PutUserPermissionsBoundary implements iamapi.API.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, in *iamapi.PutUserPermissionsBoundaryInput) (*iamapi.PutUserPermissionsBoundaryOutput, error) {
	var v violations
	v.requiredName("userName", in.UserName, maxUserName)
	v.requiredARN("permissionsBoundary", in.PermissionsBoundary)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, err := s.modifyUser(ctx, *in.UserName, func(tx *txn, u *userRec) error {
		return s.setBoundary(tx, &u.Boundary, *in.PermissionsBoundary)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.PutUserPermissionsBoundaryOutput{}, nil
}

// DeleteUserPermissionsBoundary implements iamapi.API.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, in *iamapi.DeleteUserPermissionsBoundaryInput) (*iamapi.DeleteUserPermissionsBoundaryOutput, error) {
	if err := requireName("userName", in.UserName, maxUserName); err != nil {
		return nil, err
	}
	_, err := s.modifyUser(ctx, *in.UserName, func(tx *txn, u *userRec) error {
		return s.setBoundary(tx, &u.Boundary, "")
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserPermissionsBoundaryOutput{}, nil
}
