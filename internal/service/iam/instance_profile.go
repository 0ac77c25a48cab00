// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

func profileKey(name string) string { return key(tableProfiles, nameKey(name)) }

// loadProfile returns the instance profile named name, or NoSuchEntity.
func loadProfile(tx *txn, name string) (*profileRec, error) {
	p, err := getRec[profileRec](tx, profileKey(name))
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, noSuchEntity("Instance Profile %s cannot be found.", name)
	}
	return p, nil
}

func (s *Service) profileARN(p *profileRec) string {
	return entityARN(s.cfg.AccountID, "instance-profile", p.Path, p.Name)
}

// toProfile renders p with its roles; withTags adds tags (GetInstanceProfile,
// CreateInstanceProfile).
func (s *Service) toProfile(p *profileRec, roles []*roleRec, withTags bool) iamapi.InstanceProfile {
	out := iamapi.InstanceProfile{
		Path:                ptr(p.Path),
		InstanceProfileName: ptr(p.Name),
		InstanceProfileId:   ptr(p.ID),
		Arn:                 ptr(s.profileARN(p)),
		CreateDate:          ptr(p.Created),
		Roles:               []iamapi.Role{},
	}
	for _, r := range roles {
		out.Roles = append(out.Roles, s.toRole(r, roleList))
	}
	if withTags {
		out.Tags = tagsOut(p.Tags)
	}
	return out
}

// profileRoles returns the role records of p, from the cache.
func (s *Service) profileRoles(ctx context.Context, p *profileRec) ([]*roleRec, error) {
	var out []*roleRec
	for _, k := range p.Roles {
		r, err := s.t.roles.Get(ctx, k)
		if err != nil {
			continue // deleted meanwhile; DeleteRole keeps this from lasting
		}
		out = append(out, r.Value)
	}
	return out, nil
}

// CreateInstanceProfile implements iamapi.API.
func (s *Service) CreateInstanceProfile(ctx context.Context, in *iamapi.CreateInstanceProfileInput) (*iamapi.CreateInstanceProfileOutput, error) {
	var v violations
	v.requiredName("instanceProfileName", in.InstanceProfileName, maxInstanceProfileName)
	v.path("path", in.Path)
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	tags, err := newTags(in.Tags)
	if err != nil {
		return nil, err
	}
	p := &profileRec{Name: *in.InstanceProfileName, Path: deref(in.Path), ID: newID(prefixInstanceProfile), Created: s.now(), Tags: tags}
	if p.Path == "" {
		p.Path = "/"
	}
	err = s.update(ctx, func(tx *txn) error {
		existing, err := getRec[profileRec](tx, profileKey(p.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return alreadyExists("Instance Profile %s already exists.", p.Name)
		}
		tx.put(profileKey(p.Name), p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.toProfile(p, nil, true)
	return &iamapi.CreateInstanceProfileOutput{InstanceProfile: &out}, nil
}

// GetInstanceProfile implements iamapi.API.
func (s *Service) GetInstanceProfile(ctx context.Context, in *iamapi.GetInstanceProfileInput) (*iamapi.GetInstanceProfileOutput, error) {
	if err := requireName("instanceProfileName", in.InstanceProfileName, maxInstanceProfileName); err != nil {
		return nil, err
	}
	var (
		p     *profileRec
		roles []*roleRec
	)
	err := s.view(ctx, func(tx *txn) (err error) {
		if p, err = loadProfile(tx, *in.InstanceProfileName); err != nil {
			return err
		}
		for _, k := range p.Roles {
			r, err := getRec[roleRec](tx, key(tableRoles, k))
			if err != nil {
				return err
			}
			if r != nil {
				roles = append(roles, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := s.toProfile(p, roles, true)
	return &iamapi.GetInstanceProfileOutput{InstanceProfile: &out}, nil
}

// profilePage renders a page of profiles.
func (s *Service) profilePage(ctx context.Context, profiles []*profileRec, marker *string, maxItems *int32) ([]iamapi.InstanceProfile, pageOf[*profileRec], error) {
	p, err := paginate(profiles, func(p *profileRec) string { return nameKey(p.Name) }, marker, maxItems)
	if err != nil {
		return nil, p, err
	}
	out := []iamapi.InstanceProfile{}
	for _, ip := range p.Items {
		roles, err := s.profileRoles(ctx, ip)
		if err != nil {
			return nil, p, err
		}
		out = append(out, s.toProfile(ip, roles, false))
	}
	return out, p, nil
}

// ListInstanceProfiles implements iamapi.API.
func (s *Service) ListInstanceProfiles(ctx context.Context, in *iamapi.ListInstanceProfilesInput) (*iamapi.ListInstanceProfilesOutput, error) {
	var v violations
	v.pathPrefix("pathPrefix", in.PathPrefix)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	profiles, err := all(ctx, s.t.profiles)
	if err != nil {
		return nil, err
	}
	profiles = slices.DeleteFunc(profiles, func(p *profileRec) bool { return !hasPathPrefix(p.Path, in.PathPrefix) })
	items, p, err := s.profilePage(ctx, profiles, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfilesOutput{InstanceProfiles: items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// ListInstanceProfilesForRole implements iamapi.API.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, in *iamapi.ListInstanceProfilesForRoleInput) (*iamapi.ListInstanceProfilesForRoleOutput, error) {
	var v violations
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var r *roleRec
	if err := s.view(ctx, func(tx *txn) (err error) { r, err = loadRole(tx, *in.RoleName); return err }); err != nil {
		return nil, err
	}
	var profiles []*profileRec
	for _, k := range r.Profiles {
		if p, err := s.t.profiles.Get(ctx, k); err == nil {
			profiles = append(profiles, p.Value)
		}
	}
	items, p, err := s.profilePage(ctx, profiles, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfilesForRoleOutput{InstanceProfiles: items, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// DeleteInstanceProfile implements iamapi.API; IAM refuses while the
// profile holds a role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, in *iamapi.DeleteInstanceProfileInput) (*iamapi.DeleteInstanceProfileOutput, error) {
	if err := requireName("instanceProfileName", in.InstanceProfileName, maxInstanceProfileName); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		p, err := loadProfile(tx, *in.InstanceProfileName)
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		tx.del(profileKey(p.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteInstanceProfileOutput{}, nil
}

func profileRoleInput(profile, role *string) error {
	var v violations
	v.requiredName("instanceProfileName", profile, maxInstanceProfileName)
	v.requiredName("roleName", role, maxRoleName)
	return v.err()
}

// AddRoleToInstanceProfile implements iamapi.API. A profile holds one role,
// as in IAM; the role records the profile too, so DeleteRole conflicts.
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, in *iamapi.AddRoleToInstanceProfileInput) (*iamapi.AddRoleToInstanceProfileOutput, error) {
	if err := profileRoleInput(in.InstanceProfileName, in.RoleName); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		p, err := loadProfile(tx, *in.InstanceProfileName)
		if err != nil {
			return err
		}
		r, err := loadRole(tx, *in.RoleName)
		if err != nil {
			return err
		}
		if len(p.Roles) >= quotaRolesPerProfile {
			return quotaExceeded("InstanceSessionsPerInstanceProfile", quotaRolesPerProfile)
		}
		p.Roles = append(p.Roles, nameKey(r.Name))
		r.Profiles = append(r.Profiles, nameKey(p.Name))
		tx.put(profileKey(p.Name), p)
		tx.put(roleKey(r.Name), r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddRoleToInstanceProfileOutput{}, nil
}

// RemoveRoleFromInstanceProfile implements iamapi.API.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, in *iamapi.RemoveRoleFromInstanceProfileInput) (*iamapi.RemoveRoleFromInstanceProfileOutput, error) {
	if err := profileRoleInput(in.InstanceProfileName, in.RoleName); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx *txn) error {
		p, err := loadProfile(tx, *in.InstanceProfileName)
		if err != nil {
			return err
		}
		r, err := loadRole(tx, *in.RoleName)
		if err != nil {
			return err
		}
		var found bool
		if p.Roles, found = removeString(p.Roles, nameKey(r.Name)); !found {
			return noSuchEntity("The role with name %s cannot be found.", *in.RoleName)
		}
		r.Profiles, _ = removeString(r.Profiles, nameKey(p.Name))
		tx.put(profileKey(p.Name), p)
		tx.put(roleKey(r.Name), r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveRoleFromInstanceProfileOutput{}, nil
}
