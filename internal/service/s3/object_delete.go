// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/store"
)

// deleteBatch is how many object deletions DeleteObjects commits in one
// transaction (under the store's 128-operation limit).
const deleteBatch = 100

// DeleteObject removes an object and then its blob. Deleting a key that
// does not exist succeeds, as on S3 (without versioning).
func (s *Service) DeleteObject(ctx context.Context, in *s3api.DeleteObjectInput) (*s3api.DeleteObjectOutput, error) {
	bucket, key := str(in.Bucket), str(in.Key)
	if _, err := s.bucket(ctx, bucket); err != nil {
		return nil, err
	}
	if err := s.deleteKey(ctx, bucket, key); err != nil {
		return nil, err
	}
	return &s3api.DeleteObjectOutput{}, nil
}

// deleteKey deletes the current record of bucket/key, whatever it is when
// the delete commits, and the blob that record named.
func (s *Service) deleteKey(ctx context.Context, bucket, key string) error {
	id := objectID(bucket, key)
	for attempt := 1; ; attempt++ {
		cur, err := s.t.objects.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("s3: %w", err)
		}
		_, err = s.t.objects.Delete(ctx, id, cur.Revision)
		switch {
		case err == nil:
			s.deleteBlob(ctx, cur.Value.Blob)
			return nil
		case errors.Is(err, store.ErrNotFound):
			return nil // someone else deleted it, and its blob
		case !errors.Is(err, store.ErrConflict) || attempt == commitAttempts:
			return storeError(fmt.Errorf("s3: delete %s: %w", id, err))
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("s3: delete %s: %w", id, err)
		}
	}
}

// DeleteObjects deletes up to 1,000 keys, in batches of one transaction
// each; a batch that races with another writer is retried key by key.
// Missing keys are reported as deleted, as S3 does. The gateway has
// checked s3:DeleteObject on every key.
func (s *Service) DeleteObjects(ctx context.Context, in *s3api.DeleteObjectsInput) (*s3api.DeleteObjectsOutput, error) {
	bucket := str(in.Bucket)
	if _, err := s.bucket(ctx, bucket); err != nil {
		return nil, err
	}
	if in.Delete == nil || len(in.Delete.Objects) == 0 || len(in.Delete.Objects) > maxDelete {
		return nil, errMalformedXML()
	}
	for _, o := range in.Delete.Objects {
		if str(o.Key) == "" {
			return nil, errMalformedXML()
		}
		if err := checkKey(str(o.Key)); err != nil {
			return nil, err
		}
	}
	quiet := in.Delete.Quiet != nil && *in.Delete.Quiet
	out := &s3api.DeleteObjectsOutput{}
	objs := in.Delete.Objects
	for len(objs) > 0 {
		n := min(len(objs), deleteBatch)
		batch := objs[:n]
		objs = objs[n:]
		if s.deleteBatch(ctx, bucket, batch) == nil {
			for _, o := range batch {
				if !quiet {
					out.Deleted = append(out.Deleted, s3api.DeletedObject{Key: o.Key})
				}
			}
			continue
		}
		for _, o := range batch {
			if err := s.deleteKey(ctx, bucket, str(o.Key)); err != nil {
				ae := awserr.From(err)
				if ae.HTTPStatus >= 500 {
					s.deps.Logger.Error("s3: delete object", "bucket", bucket, "key", str(o.Key), "err", err)
				}
				out.Errors = append(out.Errors, s3api.Error{Key: o.Key, Code: ptr(ae.Code), Message: ptr(ae.Message)})
				continue
			}
			if !quiet {
				out.Deleted = append(out.Deleted, s3api.DeletedObject{Key: o.Key})
			}
		}
	}
	return out, nil
}

// deleteBatch deletes the existing keys of batch in one transaction
// guarded by the revisions read, then their blobs.
func (s *Service) deleteBatch(ctx context.Context, bucket string, batch []s3api.ObjectIdentifier) error {
	tx := s.deps.Store.Txn()
	var blobs []string
	seen := make(map[string]bool, len(batch))
	for _, o := range batch {
		id := objectID(bucket, str(o.Key))
		if seen[id] {
			continue
		}
		seen[id] = true
		cur, err := s.t.objects.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("s3: %w", err)
		}
		tx.Add(s.t.objects.DeleteOp(id, cur.Revision))
		blobs = append(blobs, cur.Value.Blob)
	}
	if tx.Len() == 0 {
		return nil
	}
	if rev, err := tx.Commit(ctx); rev == 0 {
		return fmt.Errorf("s3: delete objects: %w", err)
	}
	for _, b := range blobs {
		s.deleteBlob(ctx, b)
	}
	return nil
}
