// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

func groupKey(name string) string { return key(tableGroups, nameKey(name)) }

// loadGroup returns the group named name, or NoSuchEntity.
func loadGroup(tx *txn, name string) (*groupRec, error) {
	g, err := getRec[groupRec](tx, groupKey(name))
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, noSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

func (s *Service) toGroup(g *groupRec) iamapi.Group {
	return iamapi.Group{
		Path:       ptr(g.Path),
		GroupName:  ptr(g.Name),
		GroupId:    ptr(g.ID),
		Arn:        ptr(entityARN(s.cfg.AccountID, "group", g.Path, g.Name)),
		CreateDate: ptr(g.Created),
	}
}

// CreateGroup implements iamapi.API.
func (s *Service) CreateGroup(ctx context.Context, in *iamapi.CreateGroupInput) (*iamapi.CreateGroupOutput, error) {
	var v violations
	v.path("path", in.Path)
	v.requiredName("groupName", in.GroupName, maxGroupName)
	if err := v.err(); err != nil {
		return nil, err
	}
	g := &groupRec{Name: *in.GroupName, Path: deref(in.Path), ID: newID(prefixGroup), Created: s.now()}
	if g.Path == "" {
		g.Path = "/"
	}
	err := s.update(ctx, func(tx *txn) error {
		existing, err := getRec[groupRec](tx, groupKey(g.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return alreadyExists("Group with name %s already exists.", g.Name)
		}
		tx.put(groupKey(g.Name), g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.toGroup(g)
	return &iamapi.CreateGroupOutput{Group: &out}, nil
}

// GetGroup implements iamapi.API: the group and a page of its users.
func (s *Service) GetGroup(ctx context.Context, in *iamapi.GetGroupInput) (*iamapi.GetGroupOutput, error) {
	var v violations
	v.requiredName("groupName", in.GroupName, maxGroupName)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var g *groupRec
	err := s.view(ctx, func(tx *txn) (err error) { g, err = loadGroup(tx, *in.GroupName); return err })
	if err != nil {
		return nil, err
	}
	users, err := byIndex(ctx, s.t.users, indexGroup, g.ID)
	if err != nil {
		return nil, err
	}
	p, err := paginate(users, func(u *userRec) string { return nameKey(u.Name) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	group := s.toGroup(g)
	out := &iamapi.GetGroupOutput{Group: &group, Users: []iamapi.User{}, IsTruncated: ptr(p.Truncated), Marker: p.Marker}
	for _, u := range p.Items {
		out.Users = append(out.Users, s.toUser(u, false))
	}
	return out, nil
}

// ListGroups implements iamapi.API.
func (s *Service) ListGroups(ctx context.Context, in *iamapi.ListGroupsInput) (*iamapi.ListGroupsOutput, error) {
	var v violations
	v.pathPrefix("pathPrefix", in.PathPrefix)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	all, err := all(ctx, s.t.groups)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(g *groupRec) bool { return !hasPathPrefix(g.Path, in.PathPrefix) })
	return groupPage(s, all, in.Marker, in.MaxItems, func(gs []iamapi.Group, truncated bool, marker *string) *iamapi.ListGroupsOutput {
		return &iamapi.ListGroupsOutput{Groups: gs, IsTruncated: &truncated, Marker: marker}
	})
}

// groupPage pages groups into an output built by mk.
func groupPage[O any](s *Service, groups []*groupRec, marker *string, maxItems *int32, mk func([]iamapi.Group, bool, *string) *O) (*O, error) {
	p, err := paginate(groups, func(g *groupRec) string { return nameKey(g.Name) }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := []iamapi.Group{}
	for _, g := range p.Items {
		out = append(out, s.toGroup(g))
	}
	return mk(out, p.Truncated, p.Marker), nil
}

// ListGroupsForUser implements iamapi.API.
func (s *Service) ListGroupsForUser(ctx context.Context, in *iamapi.ListGroupsForUserInput) (*iamapi.ListGroupsForUserOutput, error) {
	var v violations
	v.requiredName("userName", in.UserName, maxExistingUserName)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var u *userRec
	err := s.view(ctx, func(tx *txn) (err error) { u, err = loadUser(tx, *in.UserName); return err })
	if err != nil {
		return nil, err
	}
	groups, err := s.groupsByID(ctx, u.Groups)
	if err != nil {
		return nil, err
	}
	return groupPage(s, groups, in.Marker, in.MaxItems, func(gs []iamapi.Group, truncated bool, marker *string) *iamapi.ListGroupsForUserOutput {
		return &iamapi.ListGroupsForUserOutput{Groups: gs, IsTruncated: &truncated, Marker: marker}
	})
}

// UpdateGroup implements iamapi.API: a new path and/or name. Members refer
// to the group by id, so a rename moves only the group's record.
func (s *Service) UpdateGroup(ctx context.Context, in *iamapi.UpdateGroupInput) (*iamapi.UpdateGroupOutput, error) {
	var v violations
	v.requiredName("groupName", in.GroupName, maxGroupName)
	v.path("newPath", in.NewPath)
	v.name("newGroupName", in.NewGroupName, maxGroupName)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		g, err := loadGroup(tx, *in.GroupName)
		if err != nil {
			return err
		}
		if in.NewPath != nil {
			g.Path = *in.NewPath
		}
		if in.NewGroupName != nil && *in.NewGroupName != g.Name {
			if groupKey(*in.NewGroupName) != groupKey(g.Name) {
				other, err := getRec[groupRec](tx, groupKey(*in.NewGroupName))
				if err != nil {
					return err
				}
				if other != nil {
					return alreadyExists("Group with name %s already exists.", *in.NewGroupName)
				}
				tx.del(groupKey(g.Name))
			}
			g.Name = *in.NewGroupName
		}
		tx.put(groupKey(g.Name), g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateGroupOutput{}, nil
}

// DeleteGroup implements iamapi.API. Like IAM it refuses while the group
// has members, attached or inline policies.
func (s *Service) DeleteGroup(ctx context.Context, in *iamapi.DeleteGroupInput) (*iamapi.DeleteGroupOutput, error) {
	if err := requireName("groupName", in.GroupName, maxGroupName); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		g, err := loadGroup(tx, *in.GroupName)
		if err != nil {
			return err
		}
		switch {
		case g.Members > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(g.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		tx.del(groupKey(g.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteGroupOutput{}, nil
}

// AddUserToGroup implements iamapi.API; adding a member twice is a no-op.
func (s *Service) AddUserToGroup(ctx context.Context, in *iamapi.AddUserToGroupInput) (*iamapi.AddUserToGroupOutput, error) {
	var v violations
	v.requiredName("groupName", in.GroupName, maxGroupName)
	v.requiredName("userName", in.UserName, maxUserName)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		g, err := loadGroup(tx, *in.GroupName)
		if err != nil {
			return err
		}
		u, err := loadUser(tx, *in.UserName)
		if err != nil {
			return err
		}
		if slices.Contains(u.Groups, g.ID) {
			return nil
		}
		if len(u.Groups) >= s.cfg.Quotas.GroupsPerUser {
			return quotaExceeded("GroupsPerUser", s.cfg.Quotas.GroupsPerUser)
		}
		u.Groups = append(u.Groups, g.ID)
		g.Members++
		tx.put(userKey(u.Name), u)
		tx.put(groupKey(g.Name), g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddUserToGroupOutput{}, nil
}

// RemoveUserFromGroup implements iamapi.API.
func (s *Service) RemoveUserFromGroup(ctx context.Context, in *iamapi.RemoveUserFromGroupInput) (*iamapi.RemoveUserFromGroupOutput, error) {
	var v violations
	v.requiredName("groupName", in.GroupName, maxGroupName)
	v.requiredName("userName", in.UserName, maxExistingUserName)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		g, err := loadGroup(tx, *in.GroupName)
		if err != nil {
			return err
		}
		u, err := loadUser(tx, *in.UserName)
		if err != nil {
			return err
		}
		var member bool
		if u.Groups, member = removeString(u.Groups, g.ID); !member {
			return noSuchEntity("The user with name %s cannot be found.", *in.UserName)
		}
		g.Members = max(g.Members-1, 0)
		tx.put(userKey(u.Name), u)
		tx.put(groupKey(g.Name), g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveUserFromGroupOutput{}, nil
}
