// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/blob"
	"github.com/berthdev/berth/internal/store"
)

// Multipart uploads, as S3 runs them:
//
//	CreateMultipartUpload ─▶ s3-uploads record (headers, metadata, tags)
//	UploadPart n          ─▶ blob + s3-parts record (replaces an earlier part n)
//	CompleteMultipartUpload(parts in ascending order, ETags as returned)
//	    ─▶ check parts (InvalidPartOrder, InvalidPart, EntityTooSmall)
//	    ─▶ stream the parts' blobs into one blob (never in memory)
//	    ─▶ one Txn: object record + delete the upload record
//	    ─▶ delete part records and part blobs
//	AbortMultipartUpload  ─▶ delete the upload, its parts and their blobs

// CreateMultipartUpload starts an upload; the object's headers, metadata
// and tags are given now and applied at completion.
func (s *Service) CreateMultipartUpload(ctx context.Context, in *s3api.CreateMultipartUploadInput) (*s3api.CreateMultipartUploadOutput, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	bucket, key := str(in.Bucket), str(in.Key)
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if _, err := s.liveBucket(ctx, bucket); err != nil {
		return nil, err
	}
	hdr, err := newHeaders(in.ContentType, in.ContentEncoding, in.ContentDisposition, in.ContentLanguage,
		in.CacheControl, in.WebsiteRedirectLocation, in.StorageClass, in.Expires, in.Metadata)
	if err != nil {
		return nil, err
	}
	tags, err := parseTagging(str(in.Tagging))
	if err != nil {
		return nil, err
	}
	alg := flexible(str(in.ChecksumAlgorithm), nil, nil, nil, nil).Alg
	u := &uploadRec{Bucket: bucket, Key: key, ID: newUploadID(), Initiated: s.now(), Initiator: p.ARN,
		ChecksumAlg: alg, Tags: tags, headers: hdr}
	if _, err := s.t.uploads.Create(ctx, uploadID(bucket, u.ID), u); err != nil {
		return nil, fmt.Errorf("s3: create upload: %w", err)
	}
	return &s3api.CreateMultipartUploadOutput{Bucket: ptr(bucket), Key: ptr(key), UploadId: ptr(u.ID), ChecksumAlgorithm: nonEmpty(alg)}, nil
}

// upload returns an upload of bucket/key; NoSuchUpload otherwise.
func (s *Service) upload(ctx context.Context, bucket, key, id string) (store.Record[uploadRec], error) {
	if _, err := s.bucket(ctx, bucket); err != nil {
		return store.Record[uploadRec]{}, err
	}
	u, err := s.t.uploads.Get(ctx, uploadID(bucket, id))
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Value.Key != key {
		return u, errNoSuchUpload(id)
	}
	if err != nil {
		return u, fmt.Errorf("s3: %w", err)
	}
	return u, nil
}

func checkPartNumber(n *int32) (int32, error) {
	if n == nil || *n < 1 || *n > maxParts {
		v := ""
		if n != nil {
			v = strconv.Itoa(int(*n))
		}
		return 0, errInvalidArgument("partNumber", v, "Part number must be an integer between 1 and 10000, inclusive")
	}
	return *n, nil
}

// UploadPart streams one part into a blob and records it, replacing an
// earlier upload of the same part number.
func (s *Service) UploadPart(ctx context.Context, in *s3api.UploadPartInput) (*s3api.UploadPartOutput, error) {
	n, err := checkPartNumber(in.PartNumber)
	if err != nil {
		return nil, err
	}
	u, err := s.upload(ctx, str(in.Bucket), str(in.Key), str(in.UploadId))
	if err != nil {
		return nil, err
	}
	length := int64(-1)
	if in.ContentLength != nil {
		length = *in.ContentLength
	}
	info, sum, err := s.ingest(ctx, in.Body, ingestSpec{Length: length, ContentMD5: str(in.ContentMD5),
		Checksum: flexible(str(in.ChecksumAlgorithm), in.ChecksumCRC32, in.ChecksumCRC32C, in.ChecksumSHA1, in.ChecksumSHA256)})
	if err != nil {
		return nil, err
	}
	part := &partRec{Number: n, Blob: info.ID, Size: info.Size, ETag: etagOf(info), MD5: info.MD5[:], Modified: s.now(), Checksum: sum}
	if err := s.commitPart(ctx, u, part); err != nil {
		s.deleteBlob(ctx, info.ID)
		return nil, err
	}
	out := &s3api.UploadPartOutput{ETag: ptr(quote(part.ETag))}
	setChecksum(sum, &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumSHA1, &out.ChecksumSHA256)
	return out, nil
}

// commitPart records part while its upload still exists, then deletes the
// blob of the part it replaced.
func (s *Service) commitPart(ctx context.Context, u store.Record[uploadRec], part *partRec) error {
	ctx = context.WithoutCancel(ctx)
	id := partID(u.Value.ID, part.Number)
	for attempt := 1; ; attempt++ {
		cur, err := s.t.parts.Get(ctx, id)
		had := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("s3: %w", err)
		}
		op := s.t.parts.CreateOp(id, part)
		if had {
			op = s.t.parts.PutOp(id, part, cur.Revision)
		}
		rev, err := s.deps.Store.Txn().Add(s.t.uploads.CheckOp(uploadID(u.Value.Bucket, u.Value.ID), 0), op).Commit(ctx)
		if rev != 0 {
			if had {
				s.deleteBlob(ctx, cur.Value.Blob)
			}
			return nil
		}
		var re *store.RecordError
		if errors.As(err, &re) && re.Table == tableUploads {
			return errNoSuchUpload(u.Value.ID)
		}
		if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrExists) && !errors.Is(err, store.ErrNotFound) || attempt == commitAttempts {
			return storeError(fmt.Errorf("s3: commit part %s: %w", id, err))
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("s3: commit part %s: %w", id, err)
		}
	}
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, in *s3api.AbortMultipartUploadInput) (*s3api.AbortMultipartUploadOutput, error) {
	u, err := s.upload(ctx, str(in.Bucket), str(in.Key), str(in.UploadId))
	if err != nil {
		return nil, err
	}
	if err := s.dropUpload(ctx, u); errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return nil, errNoSuchUpload(u.Value.ID)
	} else if err != nil {
		return nil, err
	}
	return &s3api.AbortMultipartUploadOutput{}, nil
}

// dropUpload deletes an upload record, then its parts and their blobs.
func (s *Service) dropUpload(ctx context.Context, u store.Record[uploadRec]) error {
	if _, err := s.t.uploads.Delete(ctx, uploadID(u.Value.Bucket, u.Value.ID), u.Revision); err != nil {
		return fmt.Errorf("s3: abort upload: %w", err)
	}
	s.dropParts(ctx, u.Value.ID)
	return nil
}

// dropParts deletes every part record of a finished upload and the blobs
// not kept (keep), in batches; failures leave garbage for Sweep and are
// logged.
func (s *Service) dropParts(ctx context.Context, upload string) {
	ctx = context.WithoutCancel(ctx)
	parts, _, err := s.t.parts.List(ctx, store.Page{Prefix: upload + "/"})
	if err != nil {
		s.deps.Logger.Warn("s3: list parts to delete", "upload", upload, "err", err)
		return
	}
	for len(parts) > 0 {
		n := min(len(parts), deleteBatch)
		tx := s.deps.Store.Txn()
		for _, p := range parts[:n] {
			tx.Add(s.t.parts.DeleteOp(p.ID, 0))
		}
		if rev, err := tx.Commit(ctx); rev == 0 {
			s.deps.Logger.Warn("s3: delete parts", "upload", upload, "err", err)
			return
		}
		for _, p := range parts[:n] {
			s.deleteBlob(ctx, p.Value.Blob)
		}
		parts = parts[n:]
	}
}

// partsReader reads the blobs of parts one after another, opening each
// only when it is reached.
type partsReader struct {
	ctx   context.Context
	blobs blob.Store
	parts []*partRec
	cur   *section
}

func (r *partsReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.parts) == 0 {
				return 0, io.EOF
			}
			b, err := r.blobs.Open(r.ctx, r.parts[0].Blob)
			if err != nil {
				return 0, fmt.Errorf("s3: open part %d: %w", r.parts[0].Number, err)
			}
			r.cur = &section{r: b, n: r.parts[0].Size}
			r.parts = r.parts[1:]
		}
		n, err := r.cur.Read(p)
		if errors.Is(err, io.EOF) {
			r.cur.Close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (r *partsReader) Close() {
	if r.cur != nil {
		r.cur.Close()
	}
}
