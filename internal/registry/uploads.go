// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/distribution/distribution/v3"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// uploadIDPattern is the shape of distribution's upload ids (UUIDs); any
// other id names no upload (and never a path outside the repository).
var uploadIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// BlobSize returns the size of a blob linked into repo: ErrBlobNotFound
// when repo has no such blob, ErrInvalidDigest when digest is malformed.
func (r *Registry) BlobSize(ctx context.Context, repo, dgst string) (int64, error) {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return 0, err
	}
	d, err := parseDigest(dgst)
	if err != nil {
		return 0, err
	}
	desc, err := rep.Blobs(ctx).Stat(ctx, d)
	if err != nil {
		if errors.Is(err, distribution.ErrBlobUnknown) {
			return 0, fmt.Errorf("%w: %s in %q", ErrBlobNotFound, d, repo)
		}
		return 0, fmt.Errorf("registry: stat blob %s: %w", d, err)
	}
	return desc.Size, nil
}

// StartUpload begins a blob upload into repo and returns its id.
func (r *Registry) StartUpload(ctx context.Context, repo string) (uploadID string, err error) {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return "", err
	}
	bw, err := rep.Blobs(ctx).Create(ctx)
	if err != nil {
		return "", fmt.Errorf("registry: start upload: %w", err)
	}
	id := bw.ID()
	if err := bw.Close(); err != nil {
		return "", fmt.Errorf("registry: start upload: %w", err)
	}
	return id, nil
}

// resume reopens an upload: ErrUploadNotFound when there is none.
func (r *Registry) resume(ctx context.Context, repo, uploadID string) (distribution.BlobWriter, error) {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	if !uploadIDPattern.MatchString(uploadID) {
		return nil, fmt.Errorf("%w: %q", ErrUploadNotFound, uploadID)
	}
	bw, err := rep.Blobs(ctx).Resume(ctx, uploadID)
	if err != nil {
		if errors.Is(err, distribution.ErrBlobUploadUnknown) {
			return nil, fmt.Errorf("%w: %q in %q", ErrUploadNotFound, uploadID, repo)
		}
		return nil, fmt.Errorf("registry: resume upload: %w", err)
	}
	return bw, nil
}

// UploadPart appends data to an upload, streaming it to disk. first must
// equal the number of bytes uploaded so far (ErrInvalidRange otherwise).
// It returns the offset of the last byte received (-1 while empty). When
// reading data fails midway the bytes already read stay in the upload: the
// returned offset says where the next part must start.
func (r *Registry) UploadPart(ctx context.Context, repo, uploadID string, first int64, data io.Reader) (lastByteReceived int64, err error) {
	unlock := r.locks.Lock(uploadKey(repo, uploadID))
	defer unlock()
	bw, err := r.resume(ctx, repo, uploadID)
	if err != nil {
		return 0, err
	}
	if size := bw.Size(); first != size {
		_ = bw.Close()
		return size - 1, fmt.Errorf("%w: the part starts at byte %d, but the upload has %d bytes", ErrInvalidRange, first, size)
	}
	_, copyErr := bw.ReadFrom(data)
	closeErr := bw.Close()
	last := bw.Size() - 1
	if copyErr != nil {
		return last, fmt.Errorf("registry: upload part: %w", copyErr)
	}
	if closeErr != nil {
		return last, fmt.Errorf("registry: upload part: %w", closeErr)
	}
	return last, nil
}

// CompleteUpload commits an upload as the blob digest and links it into
// the repository: ErrInvalidDigest when the bytes do not hash to digest
// (the upload stays, so a corrected digest may complete it),
// ErrUploadNotFound when there is no such upload.
func (r *Registry) CompleteUpload(ctx context.Context, repo, uploadID, dgst string) error {
	d, err := parseDigest(dgst)
	if err != nil {
		return err
	}
	unlock := r.locks.Lock(uploadKey(repo, uploadID))
	defer unlock()
	bw, err := r.resume(ctx, repo, uploadID)
	if err != nil {
		return err
	}
	if _, err := bw.Commit(ctx, v1.Descriptor{Digest: d}); err != nil {
		_ = bw.Close()
		var bad distribution.ErrBlobInvalidDigest
		if errors.As(err, &bad) || errors.Is(err, distribution.ErrBlobInvalidLength) {
			return fmt.Errorf("%w: the uploaded bytes do not hash to %s", ErrInvalidDigest, d)
		}
		return fmt.Errorf("registry: complete upload: %w", err)
	}
	return nil
}
