// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// Tag limits (TagResource in the ECS API reference).
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// checkTags validates tags as ECS does and returns them as records.
func checkTags(tags []ecsapi.Tag) ([]tagRec, error) {
	if len(tags) > maxTags {
		return nil, invalidParam("Too many tags. A resource can have up to %d tags.", maxTags)
	}
	out := make([]tagRec, 0, len(tags))
	for _, t := range tags {
		key, val := deref(t.Key), deref(t.Value)
		if key == "" || len(key) > maxTagKeyLen {
			return nil, invalidParam("Tag keys must be between 1 and %d characters.", maxTagKeyLen)
		}
		if len(val) > maxTagValueLen {
			return nil, invalidParam("Tag values must be at most %d characters.", maxTagValueLen)
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return nil, invalidParam("Tag keys with the prefix 'aws:' are reserved for AWS use.")
		}
		out = mergeTags(out, []tagRec{{K: key, V: val}})
	}
	return out, nil
}

// mergeTags sets add's tags on tags (replacing values of existing keys).
func mergeTags(tags, add []tagRec) []tagRec {
	for _, a := range add {
		if i := slices.IndexFunc(tags, func(t tagRec) bool { return t.K == a.K }); i >= 0 {
			tags[i].V = a.V
			continue
		}
		tags = append(tags, a)
	}
	return tags
}

func apiTags(tags []tagRec) []ecsapi.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]ecsapi.Tag, len(tags))
	for i, t := range tags {
		out[i] = ecsapi.Tag{Key: ptr(t.K), Value: ptr(t.V)}
	}
	return out
}

func tagMap(tags []tagRec) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.K] = t.V
	}
	return m
}

// taggedRef is a taggable resource an ARN names.
type taggedRef struct {
	table string // which table holds it
	id    string // its record id
}

// resolveTagged resolves the ARN of a cluster, container instance, task,
// task definition or service. ok is false for an ARN berth does not know
// the kind of; the record may still not exist.
func (s *Service) resolveTagged(resourceARN string) (taggedRef, bool) {
	kind, rest, ok := s.parseECSARN(resourceARN)
	if !ok {
		return taggedRef{}, false
	}
	switch kind {
	case "cluster":
		return taggedRef{tableClusters, rest}, !strings.Contains(rest, "/")
	case "container-instance", "task", "service":
		c, id, two := strings.Cut(rest, "/")
		if !two || c == "" || id == "" {
			return taggedRef{}, false
		}
		tbl := map[string]string{"container-instance": tableInstances, "task": tableTasks, "service": tableServices}[kind]
		return taggedRef{tbl, storeID(c, id)}, true
	case "task-definition":
		fam, rev, ok := parseFamilyRev(rest)
		if !ok || rev == 0 {
			return taggedRef{}, false
		}
		return taggedRef{tableTaskDefs, tdID(fam, rev)}, true
	}
	return taggedRef{}, false
}

// resourceTags returns the tags of the resource an ARN names; ok is false
// when it does not exist.
func (s *Service) resourceTags(resourceARN string) ([]tagRec, bool) {
	ref, ok := s.resolveTagged(resourceARN)
	if !ok {
		return nil, false
	}
	ctx := context.Background()
	switch ref.table {
	case tableClusters:
		r, err := s.t.clusters.Get(ctx, ref.id)
		if err != nil || r.Value.Status == statusInactive {
			return nil, false
		}
		return r.Value.Tags, true
	case tableInstances:
		r, err := s.t.instances.Get(ctx, ref.id)
		if err != nil {
			return nil, false
		}
		return r.Value.Tags, true
	case tableTasks:
		r, err := s.t.tasks.Get(ctx, ref.id)
		if err != nil {
			return nil, false
		}
		return r.Value.Tags, true
	case tableServices:
		r, err := s.t.services.Get(ctx, ref.id)
		if err != nil {
			return nil, false
		}
		return r.Value.Tags, true
	case tableTaskDefs:
		r, err := s.t.taskDefs.Get(ctx, ref.id)
		if err != nil {
			return nil, false
		}
		return r.Value.Tags, true
	}
	return nil, false
}

// updateTags applies fn to the tags of the resource an ARN names, with
// compare-and-swap.
func (s *Service) updateTags(ctx context.Context, resourceARN string, fn func([]tagRec) ([]tagRec, error)) error {
	ref, ok := s.resolveTagged(resourceARN)
	if !ok {
		return invalidParam("The specified resource ARN is not valid.")
	}
	var err error
	switch ref.table {
	case tableClusters:
		_, err = s.t.clusters.Update(ctx, ref.id, func(r *clusterRec) (e error) {
			if r.Status == statusInactive {
				return errClusterNotFound()
			}
			r.Tags, e = fn(r.Tags)
			return e
		})
	case tableInstances:
		_, err = s.t.instances.Update(ctx, ref.id, func(r *instanceRec) (e error) {
			r.Tags, e = fn(r.Tags)
			r.Version++
			return e
		})
	case tableTasks:
		_, err = s.t.tasks.Update(ctx, ref.id, func(r *taskRec) (e error) {
			r.Tags, e = fn(r.Tags)
			return e
		})
	case tableServices:
		_, err = s.t.services.Update(ctx, ref.id, func(r *serviceRec) (e error) {
			r.Tags, e = fn(r.Tags)
			return e
		})
	case tableTaskDefs:
		_, err = s.t.taskDefs.Update(ctx, ref.id, func(r *taskDefRec) (e error) {
			r.Tags, e = fn(r.Tags)
			return e
		})
	}
	if isNotFound(err) {
		if ref.table == tableClusters {
			return errClusterNotFound()
		}
		return ecsapi.ErrResourceNotFound("The specified resource could not be found.")
	}
	return storeErr(err)
}

// TagResource implements ecsapi.API.
func (s *Service) TagResource(ctx context.Context, in *ecsapi.TagResourceInput) (*ecsapi.TagResourceOutput, error) {
	add, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	err = s.updateTags(ctx, deref(in.ResourceArn), func(tags []tagRec) ([]tagRec, error) {
		tags = mergeTags(tags, add)
		if len(tags) > maxTags {
			return nil, invalidParam("Too many tags. A resource can have up to %d tags.", maxTags)
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &ecsapi.TagResourceOutput{}, nil
}

// UntagResource implements ecsapi.API.
func (s *Service) UntagResource(ctx context.Context, in *ecsapi.UntagResourceInput) (*ecsapi.UntagResourceOutput, error) {
	err := s.updateTags(ctx, deref(in.ResourceArn), func(tags []tagRec) ([]tagRec, error) {
		return slices.DeleteFunc(tags, func(t tagRec) bool { return slices.Contains(in.TagKeys, t.K) }), nil
	})
	if err != nil {
		return nil, err
	}
	return &ecsapi.UntagResourceOutput{}, nil
}

// ListTagsForResource implements ecsapi.API.
func (s *Service) ListTagsForResource(_ context.Context, in *ecsapi.ListTagsForResourceInput) (*ecsapi.ListTagsForResourceOutput, error) {
	ref, ok := s.resolveTagged(deref(in.ResourceArn))
	if !ok {
		return nil, invalidParam("The specified resource ARN is not valid.")
	}
	tags, ok := s.resourceTags(deref(in.ResourceArn))
	if !ok {
		if ref.table == tableClusters {
			return nil, errClusterNotFound()
		}
		return nil, ecsapi.ErrResourceNotFound("The specified resource could not be found.")
	}
	out := apiTags(tags)
	if out == nil {
		out = []ecsapi.Tag{}
	}
	return &ecsapi.ListTagsForResourceOutput{Tags: out}, nil
}
