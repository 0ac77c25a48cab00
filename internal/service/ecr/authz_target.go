// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"reflect"
	"sort"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/actionmap"
)

var _ gateway.Describer = (*Service)(nil)

// AuthzTarget implements gateway.Describer: each ECR operation is
// authorized with its IAM action (package actionmap) on the ARN of the
// repository it names, arn:aws:ecr:REGION:ACCOUNT:repository/NAME (the
// account is the request's registryId when it names one);
// DescribeRepositories without names is on repository/*, and
// GetAuthorizationToken and the registry-wide operations on "*". The
// context carries aws:ResourceTag/* of an existing repository, and
// aws:RequestTag/* with aws:TagKeys for the tags a request carries.
// CreateRepository with tags is also checked for ecr:TagResource on the
// new repository.
func (s *Service) AuthzTarget(ctx context.Context, op string, in any) (gateway.Target, error) {
	action, ok := actionmap.ForOperation("ecr", op)
	if !ok {
		return gateway.Target{}, nil
	}
	t := gateway.Target{Action: action}
	account := s.cfg.AccountID
	if id := field(in, "RegistryId"); id != "" && isAccountID(id) {
		account = id
	}
	switch v := in.(type) {
	case *ecrapi.DescribeRepositoriesInput:
		if len(v.RepositoryNames) == 0 {
			t.Resources = []string{s.repoARN(account, "*")}
		}
		for _, n := range v.RepositoryNames {
			t.Resources = append(t.Resources, s.repoARN(account, n))
		}
	case *ecrapi.TagResourceInput:
		t.Resources = []string{str(v.ResourceArn)}
		t.Context = requestTags(v.Tags)
	case *ecrapi.UntagResourceInput:
		t.Resources = []string{str(v.ResourceArn)}
		if len(v.TagKeys) > 0 {
			keys := append([]string(nil), v.TagKeys...)
			sort.Strings(keys)
			t.Context = map[string][]string{"aws:TagKeys": keys}
		}
	case *ecrapi.ListTagsForResourceInput:
		t.Resources = []string{str(v.ResourceArn)}
	case *ecrapi.CreateRepositoryInput:
		t.Resources = []string{s.repoARN(account, str(v.RepositoryName))}
		t.Context = requestTags(v.Tags)
		if len(v.Tags) > 0 {
			// Tag-on-create: tags need ecr:TagResource as well (ECR user
			// guide, "Using Tag-Based Access Control").
			t.Extra = []gateway.Check{{Action: "ecr:TagResource", Resources: t.Resources, Context: requestTags(v.Tags)}}
		}
	default:
		if name := field(in, "RepositoryName"); name != "" {
			t.Resources = []string{s.repoARN(account, name)}
		}
	}
	if len(t.Resources) == 1 {
		if name, ok := s.repoOfARN(t.Resources[0]); ok {
			t.Context = s.resourceTags(ctx, name, t.Context)
		}
	}
	return t, nil
}

// RepositoryTarget returns what a registry request on repository name is
// authorized on: the repository's ARN and the condition keys the
// repository contributes (aws:ResourceTag/*).
func (s *Service) RepositoryTarget(ctx context.Context, name string) (resource string, conditions map[string][]string) {
	return s.repoARN(s.cfg.AccountID, name), s.resourceTags(ctx, name, nil)
}

// resourceTags adds aws:ResourceTag/* of an existing repository to c.
func (s *Service) resourceTags(ctx context.Context, name string, c map[string][]string) map[string][]string {
	r, err := s.t.repos.Get(ctx, name)
	if err != nil || len(r.Value.Tags) == 0 {
		return c
	}
	if c == nil {
		c = map[string][]string{}
	}
	for _, tag := range r.Value.Tags {
		c["aws:ResourceTag/"+tag.K] = []string{tag.V}
	}
	return c
}

func requestTags(tags []ecrapi.Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	c := map[string][]string{}
	keys := make([]string, 0, len(tags))
	for _, tag := range tags {
		c["aws:RequestTag/"+str(tag.Key)] = []string{str(tag.Value)}
		keys = append(keys, str(tag.Key))
	}
	sort.Strings(keys)
	c["aws:TagKeys"] = keys
	return c
}

// field returns the *string member name of a generated input struct, or
// "" (inputs are generated structs with pointer members).
func field(in any, name string) string {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.String {
		return ""
	}
	return f.Elem().String()
}
