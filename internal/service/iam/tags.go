// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
)

// newTags converts request tags (already model-validated), rejecting keys
// that repeat without regard to case as IAM does.
func newTags(in []iamapi.Tag) ([]tagRec, error) {
	var out []tagRec
	seen := map[string]bool{}
	for _, t := range in {
		k := strings.ToLower(deref(t.Key))
		if seen[k] {
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		out = append(out, tagRec{Key: deref(t.Key), Value: deref(t.Value)})
	}
	return out, nil
}

// mergeTags adds or replaces (key match without regard to case) tags in
// list, keeping at most maxTags; quota names the limit in the error.
func mergeTags(list *[]tagRec, add []tagRec, quota string) error {
	out := append([]tagRec(nil), (*list)...)
	for _, t := range add {
		i := indexTag(out, t.Key)
		if i >= 0 {
			out[i] = t
			continue
		}
		out = append(out, t)
	}
	if len(out) > maxTags {
		return quotaExceeded(quota, maxTags)
	}
	*list = out
	return nil
}

// removeTags deletes the tags with the given keys (without regard to case);
// absent keys are ignored, as in IAM.
func removeTags(list *[]tagRec, keys []string) {
	out := append([]tagRec(nil), (*list)...)
	for _, k := range keys {
		if i := indexTag(out, k); i >= 0 {
			out = append(out[:i], out[i+1:]...)
		}
	}
	*list = out
}

func indexTag(list []tagRec, key string) int {
	for i, t := range list {
		if strings.EqualFold(t.Key, key) {
			return i
		}
	}
	return -1
}

func tagsOut(list []tagRec) []iamapi.Tag {
	if len(list) == 0 {
		return nil
	}
	out := make([]iamapi.Tag, len(list))
	for i, t := range list {
		out[i] = iamapi.Tag{Key: ptr(t.Key), Value: ptr(t.Value)}
	}
	return out
}

// tagMap returns tags as a map, for principal tags.
func tagMap(list []tagRec) map[string]string {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]string, len(list))
	for _, t := range list {
		m[t.Key] = t.Value
	}
	return m
}

// tagPage pages a tag list in its stored order.
func tagPage(list []tagRec, marker *string, maxItems *int32) (pageOf[tagRec], []iamapi.Tag, error) {
	type indexed struct {
		i int
		t tagRec
	}
	items := make([]indexed, len(list))
	for i, t := range list {
		items[i] = indexed{i, t}
	}
	p, err := paginate(items, func(it indexed) string { return fmt.Sprintf("%04d", it.i) }, marker, maxItems)
	if err != nil {
		return pageOf[tagRec]{}, nil, err
	}
	tags := []iamapi.Tag{}
	for _, it := range p.Items {
		tags = append(tags, iamapi.Tag{Key: ptr(it.t.Key), Value: ptr(it.t.Value)})
	}
	return pageOf[tagRec]{Truncated: p.Truncated, Marker: p.Marker}, tags, nil
}

// retag applies fn to the tags of the record load finds, in a transaction.
func retag[T any](s *Service, ctx context.Context, load func(*txn) (*T, string, error), tags func(*T) *[]tagRec, fn func(*[]tagRec) error) error {
	return s.update(ctx, func(tx *txn) error {
		rec, key, err := load(tx)
		if err != nil {
			return err
		}
		if err := fn(tags(rec)); err != nil {
			return err
		}
		tx.put(key, rec)
		return nil
	})
}

// tagger returns the function TagX applies.
func tagger(in []iamapi.Tag, quota string) (func(*[]tagRec) error, error) {
	var v violations
	v.tags(in)
	if in == nil {
		v.required("tags", nil)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	add, err := newTags(in)
	if err != nil {
		return nil, err
	}
	return func(list *[]tagRec) error { return mergeTags(list, add, quota) }, nil
}

// untagger returns the function UntagX applies.
func untagger(keys []string) (func(*[]tagRec) error, error) {
	var v violations
	v.tagKeys(keys)
	if keys == nil {
		v.required("tagKeys", nil)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return func(list *[]tagRec) error { removeTags(list, keys); return nil }, nil
}

func userLoader(name string) func(*txn) (*userRec, string, error) {
	return func(tx *txn) (*userRec, string, error) {
		u, err := loadUser(tx, name)
		return u, userKey(name), err
	}
}

func roleLoader(name string) func(*txn) (*roleRec, string, error) {
	return func(tx *txn) (*roleRec, string, error) {
		r, err := loadRole(tx, name)
		return r, roleKey(name), err
	}
}

func profileLoader(name string) func(*txn) (*profileRec, string, error) {
	return func(tx *txn) (*profileRec, string, error) {
		p, err := loadProfile(tx, name)
		return p, profileKey(name), err
	}
}

// TagUser implements iamapi.API.
func (s *Service) TagUser(ctx context.Context, in *iamapi.TagUserInput) (*iamapi.TagUserOutput, error) {
	if err := requireName("userName", in.UserName, maxExistingUserName); err != nil {
		return nil, err
	}
	fn, err := tagger(in.Tags, "TagsPerUser")
	if err != nil {
		return nil, err
	}
	if err := retag(s, ctx, userLoader(*in.UserName), func(u *userRec) *[]tagRec { return &u.Tags }, fn); err != nil {
		return nil, err
	}
	return &iamapi.TagUserOutput{}, nil
}

// UntagUser implements iamapi.API.
func (s *Service) UntagUser(ctx context.Context, in *iamapi.UntagUserInput) (*iamapi.UntagUserOutput, error) {
	if err := requireName("userName", in.UserName, maxExistingUserName); err != nil {
		return nil, err
	}
	fn, err := untagger(in.TagKeys)
	if err != nil {
		return nil, err
	}
	if err := retag(s, ctx, userLoader(*in.UserName), func(u *userRec) *[]tagRec { return &u.Tags }, fn); err != nil {
		return nil, err
	}
	return &iamapi.UntagUserOutput{}, nil
}

// ListUserTags implements iamapi.API.
func (s *Service) ListUserTags(ctx context.Context, in *iamapi.ListUserTagsInput) (*iamapi.ListUserTagsOutput, error) {
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
	p, tags, err := tagPage(u.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserTagsOutput{Tags: tags, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// TagRole implements iamapi.API.
func (s *Service) TagRole(ctx context.Context, in *iamapi.TagRoleInput) (*iamapi.TagRoleOutput, error) {
	if err := requireName("roleName", in.RoleName, maxRoleName); err != nil {
		return nil, err
	}
	fn, err := tagger(in.Tags, "TagsPerRole")
	if err != nil {
		return nil, err
	}
	if err := retag(s, ctx, roleLoader(*in.RoleName), func(r *roleRec) *[]tagRec { return &r.Tags }, fn); err != nil {
		return nil, err
	}
	return &iamapi.TagRoleOutput{}, nil
}

// UntagRole implements iamapi.API.
func (s *Service) UntagRole(ctx context.Context, in *iamapi.UntagRoleInput) (*iamapi.UntagRoleOutput, error) {
	if err := requireName("roleName", in.RoleName, maxRoleName); err != nil {
		return nil, err
	}
	fn, err := untagger(in.TagKeys)
	if err != nil {
		return nil, err
	}
	if err := retag(s, ctx, roleLoader(*in.RoleName), func(r *roleRec) *[]tagRec { return &r.Tags }, fn); err != nil {
		return nil, err
	}
	return &iamapi.UntagRoleOutput{}, nil
}

// ListRoleTags implements iamapi.API.
func (s *Service) ListRoleTags(ctx context.Context, in *iamapi.ListRoleTagsInput) (*iamapi.ListRoleTagsOutput, error) {
	var v violations
	v.requiredName("roleName", in.RoleName, maxRoleName)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var r *roleRec
	err := s.view(ctx, func(tx *txn) (err error) { r, err = loadRole(tx, *in.RoleName); return err })
	if err != nil {
		return nil, err
	}
	p, tags, err := tagPage(r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRoleTagsOutput{Tags: tags, IsTruncated: ptr(p.Truncated), Marker: p.Marker}, nil
}

// TagInstanceProfile implements iamapi.API.
func (s *Service) TagInstanceProfile(ctx context.Context, in *iamapi.TagInstanceProfileInput) (*iamapi.TagInstanceProfileOutput, error) {
	if err := requireName("instanceProfileName", in.InstanceProfileName, maxInstanceProfileName); err != nil {
		return nil, err
	}
	fn, err := tagger(in.Tags, "TagsPerInstanceProfile")
	if err != nil {
		return nil, err
	}
	if err := retag(s, ctx, profileLoader(*in.InstanceProfileName), func(p *profileRec) *[]tagRec { return &p.Tags }, fn); err != nil {
		return nil, err
	}
	return &iamapi.TagInstanceProfileOutput{}, nil
}

// UntagInstanceProfile implements iamapi.API.
func (s *Service) UntagInstanceProfile(ctx context.Context, in *iamapi.UntagInstanceProfileInput) (*iamapi.UntagInstanceProfileOutput, error) {
	if err := requireName("instanceProfileName", in.InstanceProfileName, maxInstanceProfileName); err != nil {
		return nil, err
	}
	fn, err := untagger(in.TagKeys)
	if err != nil {
		return nil, err
	}
	if err := retag(s, ctx, profileLoader(*in.InstanceProfileName), func(p *profileRec) *[]tagRec { return &p.Tags }, fn); err != nil {
		return nil, err
	}
	return &iamapi.UntagInstanceProfileOutput{}, nil
}

// ListInstanceProfileTags implements iamapi.API.
func (s *Service) ListInstanceProfileTags(ctx context.Context, in *iamapi.ListInstanceProfileTagsInput) (*iamapi.ListInstanceProfileTagsOutput, error) {
	var v violations
	v.requiredName("instanceProfileName", in.InstanceProfileName, maxInstanceProfileName)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	var p *profileRec
	err := s.view(ctx, func(tx *txn) (err error) { p, err = loadProfile(tx, *in.InstanceProfileName); return err })
	if err != nil {
		return nil, err
	}
	pg, tags, err := tagPage(p.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfileTagsOutput{Tags: tags, IsTruncated: ptr(pg.Truncated), Marker: pg.Marker}, nil
}

// requireName validates one required name member.
func requireName(field string, s *string, maxLen int) error {
	var v violations
	v.requiredName(field, s, maxLen)
	return v.err()
}
