// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/store"
)

// tagMap turns a TagSet into a map, refusing duplicate keys.
func tagMap(t *s3api.Tagging, max int) (map[string]string, error) {
	if t == nil {
		return nil, errMalformedXML()
	}
	m := make(map[string]string, len(t.TagSet))
	for _, tag := range t.TagSet {
		k := str(tag.Key)
		if _, dup := m[k]; dup {
			return nil, errInvalidTag("Cannot provide multiple Tags with the same key")
		}
		m[k] = str(tag.Value)
	}
	return m, validateTags(m, max)
}

// tagSet returns tags as a TagSet in key order.
func tagSet(m map[string]string) []s3api.Tag {
	out := make([]s3api.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, s3api.Tag{Key: ptr(k), Value: ptr(m[k])})
	}
	return out
}

// updateBucket applies fn to the bucket record with compare-and-swap.
func (s *Service) updateBucket(ctx context.Context, name string, fn func(*bucketRec) error) error {
	if _, err := s.bucket(ctx, name); err != nil {
		return err
	}
	_, err := s.t.buckets.Update(ctx, name, fn)
	if errors.Is(err, store.ErrNotFound) {
		return errNoSuchBucket(name)
	}
	if err != nil {
		return storeError(fmt.Errorf("s3: update bucket %s: %w", name, err))
	}
	return nil
}

// PutBucketTagging replaces the bucket's tags (up to 50).
func (s *Service) PutBucketTagging(ctx context.Context, in *s3api.PutBucketTaggingInput) (*s3api.PutBucketTaggingOutput, error) {
	tags, err := tagMap(in.Tagging, maxBucketTg)
	if err != nil {
		return nil, err
	}
	if err := s.updateBucket(ctx, str(in.Bucket), func(b *bucketRec) error { b.Tags = tags; return nil }); err != nil {
		return nil, err
	}
	return &s3api.PutBucketTaggingOutput{}, nil
}

// GetBucketTagging returns the bucket's tags; NoSuchTagSet when it has
// none.
func (s *Service) GetBucketTagging(ctx context.Context, in *s3api.GetBucketTaggingInput) (*s3api.GetBucketTaggingOutput, error) {
	b, err := s.bucket(ctx, str(in.Bucket))
	if err != nil {
		return nil, err
	}
	if len(b.Value.Tags) == 0 {
		return nil, errNoSuchTagSet(b.ID)
	}
	return &s3api.GetBucketTaggingOutput{TagSet: tagSet(b.Value.Tags)}, nil
}

// DeleteBucketTagging removes the bucket's tags.
func (s *Service) DeleteBucketTagging(ctx context.Context, in *s3api.DeleteBucketTaggingInput) (*s3api.DeleteBucketTaggingOutput, error) {
	if err := s.updateBucket(ctx, str(in.Bucket), func(b *bucketRec) error { b.Tags = nil; return nil }); err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketTaggingOutput{}, nil
}

// updateObject applies fn to an object record with compare-and-swap; the
// blob is unchanged.
func (s *Service) updateObject(ctx context.Context, bucket, key string, fn func(*objectRec) error) error {
	if _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	_, err := s.t.objects.Update(ctx, objectID(bucket, key), fn)
	if errors.Is(err, store.ErrNotFound) {
		return errNoSuchKey(key)
	}
	if err != nil {
		return storeError(fmt.Errorf("s3: update object %s/%s: %w", bucket, key, err))
	}
	return nil
}

// PutObjectTagging replaces an object's tags (up to 10).
func (s *Service) PutObjectTagging(ctx context.Context, in *s3api.PutObjectTaggingInput) (*s3api.PutObjectTaggingOutput, error) {
	tags, err := tagMap(in.Tagging, maxTags)
	if err != nil {
		return nil, err
	}
	if err := s.updateObject(ctx, str(in.Bucket), str(in.Key), func(o *objectRec) error { o.Tags = tags; return nil }); err != nil {
		return nil, err
	}
	return &s3api.PutObjectTaggingOutput{}, nil
}

// GetObjectTagging returns an object's tags (an empty TagSet when none).
func (s *Service) GetObjectTagging(ctx context.Context, in *s3api.GetObjectTaggingInput) (*s3api.GetObjectTaggingOutput, error) {
	if _, err := s.bucket(ctx, str(in.Bucket)); err != nil {
		return nil, err
	}
	o, err := s.object(ctx, str(in.Bucket), str(in.Key))
	if err != nil {
		return nil, err
	}
	return &s3api.GetObjectTaggingOutput{TagSet: tagSet(o.Value.Tags)}, nil
}

// DeleteObjectTagging removes an object's tags.
func (s *Service) DeleteObjectTagging(ctx context.Context, in *s3api.DeleteObjectTaggingInput) (*s3api.DeleteObjectTaggingOutput, error) {
	if err := s.updateObject(ctx, str(in.Bucket), str(in.Key), func(o *objectRec) error { o.Tags = nil; return nil }); err != nil {
		return nil, err
	}
	return &s3api.DeleteObjectTaggingOutput{}, nil
}
