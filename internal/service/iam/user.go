// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/principal"
)

func userKey(name string) string { return key(tableUsers, nameKey(name)) }

// loadUser returns the user named name, or NoSuchEntity.
func loadUser(tx *txn, name string) (*userRec, error) {
	u, err := getRec[userRec](tx, userKey(name))
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

func (s *Service) userARN(u *userRec) string {
	return entityARN(s.cfg.AccountID, "user", u.Path, u.Name)
}

// toUser renders u; full adds the attributes IAM leaves out of ListUsers
// (permissions boundary and tags).
func (s *Service) toUser(u *userRec, full bool) iamapi.User {
	out := iamapi.User{
		Path:             ptr(u.Path),
		UserName:         ptr(u.Name),
		UserId:           ptr(u.ID),
		Arn:              ptr(s.userARN(u)),
		CreateDate:       ptr(u.Created),
		PasswordLastUsed: u.PwLastUsed,
	}
	if full {
		out.PermissionsBoundary = boundaryOut(u.Boundary)
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

// CreateUser implements iamapi.API.
func (s *Service) CreateUser(ctx context.Context, in *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error) {
	var v violations
	v.path("path", in.Path)
	v.requiredName("userName", in.UserName, maxUserName)
	v.arn("permissionsBoundary", in.PermissionsBoundary)
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	tags, err := newTags(in.Tags)
	if err != nil {
		return nil, err
	}
	u := &userRec{
		Name:    *in.UserName,
		Path:    deref(in.Path),
		ID:      newID(prefixUser),
		Created: s.now(),
		Tags:    tags,
	}
	if u.Path == "" {
		u.Path = "/"
	}
	err = s.update(ctx, func(tx *txn) error {
		existing, err := getRec[userRec](tx, userKey(u.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return alreadyExists("User with name %s already exists.", u.Name)
		}
		u.Boundary = ""
		if in.PermissionsBoundary != nil {
			if err := s.setBoundary(tx, &u.Boundary, *in.PermissionsBoundary); err != nil {
				return err
			}
		}
		tx.put(userKey(u.Name), u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.toUser(u, true)
	return &iamapi.CreateUserOutput{User: &out}, nil
}

// callerUserName resolves the UserName of an operation that defaults to
// the caller: an IAM user's own name; root and role sessions must name a
// user. root reports that the caller is the account root.
func callerUserName(ctx context.Context, name *string) (user string, root bool, err error) {
	if name != nil {
		return *name, false, nil
	}
	p := principal.FromContext(ctx)
	switch {
	case p != nil && p.Kind == principal.User:
		return p.Name, false, nil
	case p != nil && p.Kind == principal.Root:
		return "", true, nil
	}
	return "", false, validationError("Must specify userName when calling with non-User credentials")
}

// GetUser implements iamapi.API. Without UserName it describes the caller;
// for the account root that is the root user.
func (s *Service) GetUser(ctx context.Context, in *iamapi.GetUserInput) (*iamapi.GetUserOutput, error) {
	var v violations
	v.name("userName", in.UserName, maxExistingUserName)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, root, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if root {
		acct, err := s.account(ctx)
		if err != nil {
			return nil, err
		}
		return &iamapi.GetUserOutput{User: &iamapi.User{
			UserId:     ptr(s.cfg.AccountID),
			Arn:        ptr(arn.Root(s.cfg.AccountID)),
			CreateDate: ptr(acct.created(s)),
		}}, nil
	}
	var u *userRec
	err = s.view(ctx, func(tx *txn) error {
		u, err = loadUser(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := s.toUser(u, true)
	return &iamapi.GetUserOutput{User: &out}, nil
}

// ListUsers implements iamapi.API.
func (s *Service) ListUsers(ctx context.Context, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error) {
	var v violations
	v.pathPrefix("pathPrefix", in.PathPrefix)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := all(ctx, s.t.users)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(u *userRec) bool { return !hasPathPrefix(u.Path, in.PathPrefix) })
	p, err := paginate(all, func(u *userRec) string { return nameKey(u.Name) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListUsersOutput{Users: []iamapi.User{}, IsTruncated: ptr(p.Truncated), Marker: p.Marker}
	for _, u := range p.Items {
		out.Users = append(out.Users, s.toUser(u, false))
	}
	return out, nil
}

// UpdateUser implements iamapi.API: a new path and/or a new name. Renaming
// moves the user's record and re-points its access keys; group
// memberships and attachments travel with the record.
func (s *Service) UpdateUser(ctx context.Context, in *iamapi.UpdateUserInput) (*iamapi.UpdateUserOutput, error) {
	var v violations
	v.requiredName("userName", in.UserName, maxExistingUserName)
	v.path("newPath", in.NewPath)
	v.name("newUserName", in.NewUserName, maxUserName)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		u, err := loadUser(tx, *in.UserName)
		if err != nil {
			return err
		}
		oldKey := userKey(u.Name)
		if in.NewPath != nil {
			u.Path = *in.NewPath
		}
		if in.NewUserName != nil && *in.NewUserName != u.Name {
			newKey := userKey(*in.NewUserName)
			if newKey != oldKey {
				other, err := getRec[userRec](tx, newKey)
				if err != nil {
					return err
				}
				if other != nil {
					return alreadyExists("User with name %s already exists.", *in.NewUserName)
				}
				tx.del(oldKey)
			}
			u.Name = *in.NewUserName
			for _, id := range u.AccessKeys {
				k, err := getRec[accessKeyRec](tx, key(tableKeys, id))
				if err != nil {
					return err
				}
				if k != nil {
					k.User = u.Name
					tx.put(key(tableKeys, id), k)
				}
			}
		}
		tx.put(userKey(u.Name), u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateUserOutput{}, nil
}

// DeleteUser implements iamapi.API. Like IAM it refuses while the user
// still has a login profile, access keys, inline or attached policies, or
// group memberships. Its permissions boundary is released with it.
func (s *Service) DeleteUser(ctx context.Context, in *iamapi.DeleteUserInput) (*iamapi.DeleteUserOutput, error) {
	var v violations
	v.requiredName("userName", in.UserName, maxExistingUserName)
	if err := v.err(); err != nil {
		return nil, err
	}
	var id string
	err := s.update(ctx, func(tx *txn) error {
		u, err := loadUser(tx, *in.UserName)
		if err != nil {
			return err
		}
		switch {
		case u.Login != nil:
			return deleteConflict("Cannot delete entity, must delete login profile first.")
		case len(u.AccessKeys) > 0:
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		case len(u.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(u.Groups) > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := s.setBoundary(tx, &u.Boundary, ""); err != nil {
			return err
		}
		id = u.ID
		tx.del(userKey(u.Name))
		return dropAccess(tx, u.ID)
	})
	if err != nil {
		return nil, err
	}
	s.lastUsed.forgetAccess(id)
	return &iamapi.DeleteUserOutput{}, nil
}
