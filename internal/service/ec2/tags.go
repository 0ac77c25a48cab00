// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/store"
)

// maxTags is EC2's limit of tags per resource.
const maxTags = 50

// checkTagKey applies EC2's key rules: 1-127 characters, no "aws:"
// prefix, and not berth's join-token tag.
func checkTagKey(k string) error {
	switch n := utf8.RuneCountInString(k); {
	case n == 0 || n > 127:
		return ec2api.ErrInvalidParameterValue("Tag key must be between 1 and 127 characters; got %q", k)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return ec2api.ErrInvalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use")
	case k == JoinTokenTag:
		return ec2api.ErrInvalidParameterValue("Tag key %s is reserved by berth", JoinTokenTag)
	}
	return nil
}

// setTag sets key to value, keeping the tags in the order they were
// first set.
func setTag(tags []tagRec, key, value string) []tagRec {
	for i := range tags {
		if tags[i].Key == key {
			tags[i].Value = value
			return tags
		}
	}
	return append(tags, tagRec{Key: key, Value: value})
}

// CreateTags adds or overwrites tags on instances. Only instance ids are
// taggable in berth; other ids are InvalidID.
func (s *Service) CreateTags(ctx context.Context, in *ec2api.CreateTagsInput) (*ec2api.CreateTagsOutput, error) {
	for _, t := range in.Tags {
		if err := checkTagKey(aws.ToString(t.Key)); err != nil {
			return nil, err
		}
	}
	recs, err := s.taggable(ctx, in.Resources)
	if err != nil {
		return nil, err
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRun()
	}
	for _, rec := range recs {
		_, err := s.instances.Update(ctx, rec.ID, func(r *instanceRec) error {
			for _, t := range in.Tags {
				r.Tags = setTag(r.Tags, aws.ToString(t.Key), aws.ToString(t.Value))
			}
			if len(r.Tags) > maxTags {
				return errRaced{ec2api.ErrTagLimitExceeded("The maximum number of Tags for a resource is %d.", maxTags)}
			}
			return nil
		})
		if err != nil {
			return nil, unrace(err)
		}
	}
	return &ec2api.CreateTagsOutput{}, nil
}

// DeleteTags removes tags from instances: a tag given with a value is
// removed only if the value matches; without tags, every tag goes.
func (s *Service) DeleteTags(ctx context.Context, in *ec2api.DeleteTagsInput) (*ec2api.DeleteTagsOutput, error) {
	recs, err := s.taggable(ctx, in.Resources)
	if err != nil {
		return nil, err
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRun()
	}
	for _, rec := range recs {
		_, err := s.instances.Update(ctx, rec.ID, func(r *instanceRec) error {
			if in.Tags == nil {
				r.Tags = nil
				return nil
			}
			r.Tags = slices.DeleteFunc(r.Tags, func(have tagRec) bool {
				for _, t := range in.Tags {
					if aws.ToString(t.Key) == have.Key && (t.Value == nil || *t.Value == have.Value) {
						return true
					}
				}
				return false
			})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ec2: delete tags of %s: %w", rec.ID, err)
		}
	}
	return &ec2api.DeleteTagsOutput{}, nil
}

// taggable returns the instances ids names; ids of other kinds of
// resource are InvalidID, unknown instances InvalidInstanceID.NotFound.
func (s *Service) taggable(ctx context.Context, ids []string) ([]store.Record[instanceRec], error) {
	for _, id := range ids {
		if !strings.HasPrefix(id, "i-") {
			return nil, ec2api.ErrInvalidID("The ID '%s' is not valid", id)
		}
	}
	return s.instancesByID(ctx, ids)
}

// tagRow is one tag of one resource, as DescribeTags lists it.
type tagRow struct {
	resource string
	tagRec
}

// DescribeTags lists instance tags with the filters resource-id,
// resource-type, key, value and tag:KEY.
func (s *Service) DescribeTags(ctx context.Context, in *ec2api.DescribeTagsInput) (*ec2api.DescribeTagsOutput, error) {
	size, after, err := paging(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	fs, err := parseFilters(in.Filters, tagAttr)
	if err != nil {
		return nil, err
	}
	all, _, err := s.instances.List(ctx, store.Page{})
	if err != nil {
		return nil, err
	}
	var rows []*tagRow
	for _, rec := range all {
		tags := slices.Clone(rec.Value.Tags)
		slices.SortFunc(tags, func(a, b tagRec) int { return strings.Compare(a.Key, b.Key) })
		for _, t := range tags {
			if row := (&tagRow{rec.ID, t}); matches(row, fs, tagAttr) {
				rows = append(rows, row)
			}
		}
	}
	rows, next := page(rows, func(r *tagRow) string { return r.resource + "\x00" + r.Key }, after, size)
	out := &ec2api.DescribeTagsOutput{Tags: []ec2api.TagDescription{}, NextToken: next}
	for _, r := range rows {
		out.Tags = append(out.Tags, ec2api.TagDescription{ResourceId: aws.String(r.resource),
			ResourceType: aws.String("instance"), Key: aws.String(r.Key), Value: aws.String(r.Value)})
	}
	return out, nil
}

func tagAttr(r *tagRow, name string) ([]string, bool) {
	if key, ok := strings.CutPrefix(name, "tag:"); ok {
		if r == nil || r.Key != key {
			return nil, true
		}
		return []string{r.Value}, true
	}
	switch name {
	case "resource-id", "resource-type", "key", "value":
	default:
		return nil, false
	}
	if r == nil {
		return nil, true
	}
	switch name {
	case "resource-id":
		return []string{r.resource}, true
	case "resource-type":
		return []string{"instance"}, true
	case "key":
		return []string{r.Key}, true
	}
	return []string{r.Value}, true
}
