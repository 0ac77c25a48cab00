// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
)

// maxTags is the most tags a repository may carry.
const maxTags = 50

// TagResource adds or overwrites tags of a repository.
func (s *Service) TagResource(ctx context.Context, in *ecrapi.TagResourceInput) (*ecrapi.TagResourceOutput, error) {
	name, err := s.tagTarget(ctx, str(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	if _, err := mergeTags(nil, in.Tags); err != nil {
		return nil, err
	}
	_, err = s.updateRepo(ctx, name, func(r *repoRec) error {
		tags, err := mergeTags(r.Tags, in.Tags)
		r.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.TagResourceOutput{}, nil
}

// UntagResource removes tags by key; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, in *ecrapi.UntagResourceInput) (*ecrapi.UntagResourceOutput, error) {
	name, err := s.tagTarget(ctx, str(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		if k == "" || len(k) > 128 {
			return nil, ecrapi.ErrInvalidTagParameter("Invalid parameter at 'tagKeys' failed to satisfy constraint: 'Member must have length between 1 and 128'")
		}
	}
	_, err = s.updateRepo(ctx, name, func(r *repoRec) error {
		kept := r.Tags[:0:0]
		for _, t := range r.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || k == t.K
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		r.Tags = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.UntagResourceOutput{}, nil
}

// ListTagsForResource lists a repository's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ecrapi.ListTagsForResourceInput) (*ecrapi.ListTagsForResourceOutput, error) {
	name, err := s.tagTarget(ctx, str(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	r, err := s.repo(ctx, name)
	if err != nil {
		return nil, err
	}
	out := &ecrapi.ListTagsForResourceOutput{Tags: []ecrapi.Tag{}}
	for _, t := range r.Value.Tags {
		out.Tags = append(out.Tags, ecrapi.Tag{Key: ptr(t.K), Value: ptr(t.V)})
	}
	return out, nil
}

// tagTarget returns the repository a tagging call's ARN names.
func (s *Service) tagTarget(ctx context.Context, resourceARN string) (string, error) {
	if !strings.HasPrefix(resourceARN, "arn:aws:ecr:") {
		return "", ecrapi.ErrInvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	name, ok := s.repoOfARN(resourceARN)
	if !ok || validateName(name) != nil {
		return "", ecrapi.ErrInvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	if _, err := s.repo(ctx, name); err != nil {
		return "", err
	}
	return name, nil
}

// mergeTags returns cur with add applied (new keys appended, existing
// keys overwritten), checking ECR's limits.
func mergeTags(cur []tagRec, add []ecrapi.Tag) ([]tagRec, error) {
	out := append([]tagRec(nil), cur...)
	for _, t := range add {
		k, v := str(t.Key), str(t.Value)
		if t.Key == nil || k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, ecrapi.ErrInvalidTagParameter("Invalid parameter at 'tags' failed to satisfy constraint: 'Tag keys must be between 1 and 128 characters and must not start with aws:'")
		}
		if t.Value == nil || len(v) > 256 {
			return nil, ecrapi.ErrInvalidTagParameter("Invalid parameter at 'tags' failed to satisfy constraint: 'Tag values must be between 0 and 256 characters'")
		}
		found := false
		for i := range out {
			if out[i].K == k {
				out[i].V, found = v, true
			}
		}
		if !found {
			out = append(out, tagRec{K: k, V: v})
		}
	}
	if len(out) > maxTags {
		return nil, ecrapi.ErrTooManyTags("The number of tags for the resource exceeds the maximum of %d", maxTags)
	}
	return out, nil
}
