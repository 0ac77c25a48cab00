// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/reqctx"
	"github.com/berthdev/berth/internal/store"
)

const usEast1 = "us-east-1"

// requestRegion is the region the request was signed for: the "endpoint"
// a location constraint must agree with.
func (s *Service) requestRegion(ctx context.Context) string {
	if r := reqctx.From(ctx).Region; r != "" {
		return r
	}
	return s.cfg.Region
}

// CreateBucket creates a bucket owned by the caller's account. As on AWS,
// the location constraint must name the region the request was sent to
// (and be absent for us-east-1), and re-creating a bucket the caller
// already owns succeeds in us-east-1 and is BucketAlreadyOwnedByYou
// elsewhere.
func (s *Service) CreateBucket(ctx context.Context, in *s3api.CreateBucketInput) (*s3api.CreateBucketOutput, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	name := str(in.Bucket)
	if !validBucketName(name) {
		return nil, errInvalidBucketName(name)
	}
	region := s.requestRegion(ctx)
	loc := ""
	if c := in.CreateBucketConfiguration; c != nil {
		loc = str(c.LocationConstraint)
	}
	switch {
	case loc == "" && region != usEast1:
		return nil, awserr.New("IllegalLocationConstraintException", http.StatusBadRequest,
			"The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case loc == usEast1:
		return nil, withFields(awserr.New("InvalidLocationConstraint", http.StatusBadRequest,
			"The specified location-constraint is not valid"), "LocationConstraint", loc)
	case loc != "" && loc != region:
		return nil, awserr.New("IllegalLocationConstraintException", http.StatusBadRequest,
			"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", loc)
	}
	out := &s3api.CreateBucketOutput{Location: ptr("/" + name)}
	rec := &bucketRec{Name: name, Created: s.now(), Region: region, Owner: p.AccountID}
	_, err = s.t.buckets.Create(ctx, name, rec)
	if errors.Is(err, store.ErrExists) {
		cur, gerr := s.t.buckets.Get(ctx, name)
		switch {
		case gerr != nil:
			return nil, fmt.Errorf("s3: %w", gerr)
		case cur.Value.Owner != p.AccountID:
			return nil, errBucketAlreadyExists(name)
		case region == usEast1 && !cur.Value.Deleting:
			return out, nil // legacy behaviour of North Virginia: 200 OK
		}
		return nil, errBucketAlreadyOwnedByYou(name)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: create bucket: %w", err)
	}
	s.deps.Logger.Debug("s3: bucket created", "bucket", name)
	return out, nil
}

// HeadBucket reports whether the bucket exists (the gateway has already
// checked s3:ListBucket).
func (s *Service) HeadBucket(ctx context.Context, in *s3api.HeadBucketInput) (*s3api.HeadBucketOutput, error) {
	b, err := s.bucket(ctx, str(in.Bucket))
	if err != nil {
		return nil, err
	}
	return &s3api.HeadBucketOutput{BucketRegion: ptr(b.Value.Region)}, nil
}

// GetBucketLocation returns the bucket's region; us-east-1 is reported as
// an empty LocationConstraint, as S3 does.
func (s *Service) GetBucketLocation(ctx context.Context, in *s3api.GetBucketLocationInput) (*s3api.GetBucketLocationOutput, error) {
	b, err := s.bucket(ctx, str(in.Bucket))
	if err != nil {
		return nil, err
	}
	out := &s3api.GetBucketLocationOutput{}
	if b.Value.Region != usEast1 {
		out.LocationConstraint = ptr(b.Value.Region)
	}
	return out, nil
}

// ListBuckets lists the buckets the caller's account owns, by name.
func (s *Service) ListBuckets(ctx context.Context, _ *s3api.ListBucketsInput) (*s3api.ListBucketsOutput, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	recs, _, err := s.t.buckets.List(ctx, store.Page{})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	out := &s3api.ListBucketsOutput{Buckets: []s3api.Bucket{}, Owner: owner(p.AccountID)}
	for _, r := range recs {
		if r.Value.Owner == p.AccountID {
			out.Buckets = append(out.Buckets, s3api.Bucket{Name: ptr(r.ID), CreationDate: ptr(r.Value.Created)})
		}
	}
	return out, nil
}

func owner(account string) *s3api.Owner {
	return &s3api.Owner{ID: ptr(canonicalID(account)), DisplayName: ptr(account)}
}

// DeleteBucket deletes an empty bucket and any multipart uploads left in
// it. It first marks the bucket as deleting, so that object writes racing
// with it fail, then checks that no object remains.
func (s *Service) DeleteBucket(ctx context.Context, in *s3api.DeleteBucketInput) (*s3api.DeleteBucketOutput, error) {
	name := str(in.Bucket)
	if _, err := s.bucket(ctx, name); err != nil {
		return nil, err
	}
	marked, err := s.t.buckets.Update(ctx, name, func(b *bucketRec) error { b.Deleting = true; return nil })
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSuchBucket(name)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	objs, _, err := s.t.objects.List(ctx, store.Page{Prefix: name + "/", Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if len(objs) > 0 {
		if _, err := s.t.buckets.Update(ctx, name, func(b *bucketRec) error { b.Deleting = false; return nil }); err != nil {
			return nil, fmt.Errorf("s3: %w", err)
		}
		return nil, errBucketNotEmpty(name)
	}
	if err := s.abortUploads(ctx, name); err != nil {
		return nil, err
	}
	if _, err := s.t.buckets.Delete(ctx, name, marked.Revision); err != nil {
		return nil, storeError(fmt.Errorf("s3: delete bucket: %w", err))
	}
	s.deps.Logger.Debug("s3: bucket deleted", "bucket", name)
	return &s3api.DeleteBucketOutput{}, nil
}

// abortUploads removes every multipart upload of a bucket with its parts.
func (s *Service) abortUploads(ctx context.Context, bucket string) error {
	ups, _, err := s.t.uploads.List(ctx, store.Page{Prefix: bucket + "/"})
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	for _, u := range ups {
		if err := s.dropUpload(ctx, u); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// liveBucket returns the bucket for an object write: NoSuchBucket when it
// is gone or being deleted.
func (s *Service) liveBucket(ctx context.Context, name string) (store.Record[bucketRec], error) {
	b, err := s.bucket(ctx, name)
	if err == nil && b.Value.Deleting {
		return b, errNoSuchBucket(name)
	}
	return b, err
}
