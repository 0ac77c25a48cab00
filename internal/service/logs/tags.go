// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/store"
)

// TagLogGroup adds or changes a log group's tags (the older API).
func (s *Service) TagLogGroup(ctx context.Context, in *logsapi.TagLogGroupInput) (*logsapi.TagLogGroupOutput, error) {
	if err := checkGroupName("logGroupName", deref(in.LogGroupName)); err != nil {
		return nil, err
	}
	return &logsapi.TagLogGroupOutput{}, s.tag(ctx, *in.LogGroupName, in.Tags)
}

// UntagLogGroup removes tags from a log group (the older API).
func (s *Service) UntagLogGroup(ctx context.Context, in *logsapi.UntagLogGroupInput) (*logsapi.UntagLogGroupOutput, error) {
	if err := checkGroupName("logGroupName", deref(in.LogGroupName)); err != nil {
		return nil, err
	}
	return &logsapi.UntagLogGroupOutput{}, s.untag(ctx, *in.LogGroupName, in.Tags)
}

// ListTagsLogGroup returns a log group's tags (the older API).
func (s *Service) ListTagsLogGroup(ctx context.Context, in *logsapi.ListTagsLogGroupInput) (*logsapi.ListTagsLogGroupOutput, error) {
	if err := checkGroupName("logGroupName", deref(in.LogGroupName)); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return &logsapi.ListTagsLogGroupOutput{Tags: tagsOut(g.Value.Tags)}, nil
}

// TagResource adds or changes the tags of a log group named by ARN.
func (s *Service) TagResource(ctx context.Context, in *logsapi.TagResourceInput) (*logsapi.TagResourceOutput, error) {
	name, err := s.resourceGroup(deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	return &logsapi.TagResourceOutput{}, s.tag(ctx, name, in.Tags)
}

// UntagResource removes tags from a log group named by ARN.
func (s *Service) UntagResource(ctx context.Context, in *logsapi.UntagResourceInput) (*logsapi.UntagResourceOutput, error) {
	name, err := s.resourceGroup(deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	return &logsapi.UntagResourceOutput{}, s.untag(ctx, name, in.TagKeys)
}

// ListTagsForResource returns the tags of a log group named by ARN.
func (s *Service) ListTagsForResource(ctx context.Context, in *logsapi.ListTagsForResourceInput) (*logsapi.ListTagsForResourceOutput, error) {
	name, err := s.resourceGroup(deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	g, err := s.group(ctx, name)
	if err != nil {
		return nil, err
	}
	return &logsapi.ListTagsForResourceOutput{Tags: tagsOut(g.Value.Tags)}, nil
}

func tagsOut(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return tags
}

// resourceGroup returns the log group a tagging ARN names. berth tags log
// groups only; other logs resource types do not exist here.
func (s *Service) resourceGroup(arn string) (string, error) {
	if !strings.HasPrefix(arn, "arn:") || len(strings.SplitN(arn, ":", 6)) < 6 {
		return "", logsapi.ErrInvalidParameter("Invalid resource arn: %s", arn)
	}
	name, ok := s.groupFromARN(arn)
	if !ok || strings.Contains(strings.TrimSuffix(strings.TrimPrefix(arn, s.groupARN("")), ":*"), ":") {
		return "", logsapi.ErrResourceNotFound("The specified resource does not exist.")
	}
	return name, checkGroupName("resourceArn", name)
}

func (s *Service) tag(ctx context.Context, name string, tags map[string]string) error {
	if len(tags) == 0 {
		return invalid("{}", "tags", "Member must have length greater than or equal to 1")
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	_, err := s.groups.Update(ctx, name, func(g *groupRec) error {
		merged := maps.Clone(g.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return logsapi.ErrTooManyTags("A resource can have no more than %d tags.", maxTags)
		}
		g.Tags = merged
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return logsapi.ErrResourceNotFound(msgGroupNotFound)
	}
	return err
}

func (s *Service) untag(ctx context.Context, name string, keys []string) error {
	if len(keys) == 0 {
		return invalid("[]", "tagKeys", "Member must have length greater than or equal to 1")
	}
	_, err := s.groups.Update(ctx, name, func(g *groupRec) error {
		tags := maps.Clone(g.Tags)
		for _, k := range keys {
			delete(tags, k)
		}
		g.Tags = tags
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return logsapi.ErrResourceNotFound(msgGroupNotFound)
	}
	return err
}
