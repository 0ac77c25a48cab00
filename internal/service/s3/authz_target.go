// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/actionmap"
)

var _ gateway.Describer = (*Service)(nil)

// headerKeys maps input members to the S3 condition keys that carry
// their request header.
var headerKeys = []struct{ field, key string }{
	{"ACL", "s3:x-amz-acl"},
	{"CopySource", "s3:x-amz-copy-source"},
	{"MetadataDirective", "s3:x-amz-metadata-directive"},
	{"ServerSideEncryption", "s3:x-amz-server-side-encryption"},
	{"SSEKMSKeyId", "s3:x-amz-server-side-encryption-aws-kms-key-id"},
	{"StorageClass", "s3:x-amz-storage-class"},
	{"WebsiteRedirectLocation", "s3:x-amz-website-redirect-location"},
	{"GrantFullControl", "s3:x-amz-grant-full-control"},
	{"GrantRead", "s3:x-amz-grant-read"},
	{"GrantReadACP", "s3:x-amz-grant-read-acp"},
	{"GrantWrite", "s3:x-amz-grant-write"},
	{"GrantWriteACP", "s3:x-amz-grant-write-acp"},
}

// AuthzTarget implements gateway.Describer. The action is the one AWS's
// "Required permissions for Amazon S3 API operations" names (package
// actionmap); the resource is arn:aws:s3:::BUCKET for bucket actions and
// arn:aws:s3:::BUCKET/KEY for object actions (every key for
// DeleteObjects, so the batch is refused whole when any key is denied);
// ListBuckets is on "*". The context carries S3's condition keys:
// s3:prefix, s3:delimiter and s3:max-keys for listings, the x-amz-*
// header keys, s3:locationconstraint, s3:RequestObjectTag/*,
// s3:ExistingObjectTag/*, aws:RequestTag/* for bucket tagging, and for an
// existing bucket s3:ResourceAccount plus its tags as aws:ResourceTag/*
// and s3:BucketTag/*.
func (s *Service) AuthzTarget(ctx context.Context, op string, in any) (gateway.Target, error) {
	action, ok := actionmap.ForOperation("s3", op)
	if !ok {
		return gateway.Target{}, nil
	}
	t := gateway.Target{Action: action}
	bucket, key := field(in, "Bucket"), field(in, "Key")
	if bucket == "" {
		return t, nil
	}
	switch d, isDelete := in.(*s3api.DeleteObjectsInput); {
	case isDelete:
		if d.Delete != nil {
			for _, o := range d.Delete.Objects {
				t.Resources = append(t.Resources, bucketARNPrefix+bucket+"/"+str(o.Key))
			}
		}
	case key != "" && appliesTo(action, "object"):
		t.Resources = []string{bucketARNPrefix + bucket + "/" + key}
	default:
		t.Resources = []string{bucketARNPrefix + bucket}
	}
	t.Context = s.requestConditions(ctx, bucket, key, in)
	return t, nil
}

// appliesTo reports whether action has resource type rt (or is unknown,
// in which case objects are assumed for inputs with a key).
func appliesTo(action, rt string) bool {
	prefix, name, _ := strings.Cut(action, ":")
	a, ok := actionmap.Lookup(prefix, name)
	if !ok {
		return true
	}
	return slices.ContainsFunc(a.ResourceTypes, func(r actionmap.ResourceType) bool { return r.Name == rt })
}

// requestConditions collects the condition keys of one request.
func (s *Service) requestConditions(ctx context.Context, bucket, key string, in any) map[string][]string {
	c := map[string][]string{}
	for _, h := range headerKeys {
		if v := field(in, h.field); v != "" {
			c[h.key] = []string{v}
		}
	}
	switch v := in.(type) {
	case *s3api.ListObjectsV2Input:
		listKeys(c, v.Prefix, v.Delimiter, v.MaxKeys)
	case *s3api.ListObjectsInput:
		listKeys(c, v.Prefix, v.Delimiter, v.MaxKeys)
	case *s3api.CreateBucketInput:
		if v.CreateBucketConfiguration != nil && v.CreateBucketConfiguration.LocationConstraint != nil {
			c["s3:locationconstraint"] = []string{*v.CreateBucketConfiguration.LocationConstraint}
		}
	case *s3api.PutBucketTaggingInput:
		if v.Tagging != nil {
			requestTags(c, "aws:RequestTag/", "aws:TagKeys", v.Tagging.TagSet)
		}
	case *s3api.PutObjectTaggingInput:
		if v.Tagging != nil {
			requestTags(c, "s3:RequestObjectTag/", "s3:RequestObjectTagKeys", v.Tagging.TagSet)
		}
	}
	if tagging := field(in, "Tagging"); tagging != "" {
		if q, err := url.ParseQuery(tagging); err == nil {
			var set []s3api.Tag
			for k, vs := range q {
				set = append(set, s3api.Tag{Key: ptr(k), Value: ptr(vs[0])})
			}
			requestTags(c, "s3:RequestObjectTag/", "s3:RequestObjectTagKeys", set)
		}
	}
	for k, v := range s.objectConditions(ctx, bucket, key) {
		c[k] = v
	}
	return c
}

// objectConditions are the keys the stored resources contribute: the
// bucket's account and tags, and an existing object's tags.
func (s *Service) objectConditions(ctx context.Context, bucket, key string) map[string][]string {
	c := map[string][]string{}
	b, err := s.t.buckets.Get(ctx, bucket)
	if err != nil {
		return c
	}
	c["s3:ResourceAccount"] = []string{b.Value.Owner}
	for k, v := range b.Value.Tags {
		c["aws:ResourceTag/"+k] = []string{v}
		c["s3:BucketTag/"+k] = []string{v}
	}
	if key == "" {
		return c
	}
	if o, err := s.t.objects.Get(ctx, objectID(bucket, key)); err == nil {
		for k, v := range o.Value.Tags {
			c["s3:ExistingObjectTag/"+k] = []string{v}
		}
	}
	return c
}

func listKeys(c map[string][]string, prefix, delim *string, maxKeys *int32) {
	if prefix != nil {
		c["s3:prefix"] = []string{*prefix}
	}
	if delim != nil {
		c["s3:delimiter"] = []string{*delim}
	}
	if maxKeys != nil {
		c["s3:max-keys"] = []string{strconv.Itoa(int(*maxKeys))}
	}
}

func requestTags(c map[string][]string, prefix, keysKey string, set []s3api.Tag) {
	keys := make([]string, 0, len(set))
	for _, t := range set {
		c[prefix+str(t.Key)] = []string{str(t.Value)}
		keys = append(keys, str(t.Key))
	}
	slices.Sort(keys)
	c[keysKey] = keys
}

// field returns the *string member name of a generated input struct, or
// "". Inputs are generated structs with pointer members
// (internal/awsapi/doc.go), so a lookup by name reads every operation's
// bucket, key and header members alike.
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
