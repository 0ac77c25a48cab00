// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/store"
)

// partSize is the part size InitiateLayerUpload suggests; a part travels
// base64-encoded in a JSON body, which the gateway bounds at 20 MiB.
const partSize = 10 << 20

// BatchCheckLayerAvailability reports which layers the repository holds.
func (s *Service) BatchCheckLayerAvailability(ctx context.Context, in *ecrapi.BatchCheckLayerAvailabilityInput) (*ecrapi.BatchCheckLayerAvailabilityOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(in.LayerDigests) == 0 || len(in.LayerDigests) > 100 {
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Member must have length between 1 and 100'")
	}
	out := &ecrapi.BatchCheckLayerAvailabilityOutput{Layers: []ecrapi.Layer{}, Failures: []ecrapi.LayerFailure{}}
	for _, d := range in.LayerDigests {
		if !validDigest(d) {
			out.Failures = append(out.Failures, ecrapi.LayerFailure{LayerDigest: ptr(d),
				FailureCode: ptr(ecrapi.LayerFailureCodeInvalidlayerdigest), FailureReason: ptr("Invalid layer digest")})
			continue
		}
		size, err := s.deps.Images.BlobSize(ctx, r.ID, d)
		if errors.Is(err, ErrBlobNotFound) {
			out.Failures = append(out.Failures, ecrapi.LayerFailure{LayerDigest: ptr(d),
				FailureCode: ptr(ecrapi.LayerFailureCodeMissinglayerdigest), FailureReason: ptr("Could not find layer")})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ecr: layer %s of %s: %w", d, r.ID, err)
		}
		out.Layers = append(out.Layers, ecrapi.Layer{LayerDigest: ptr(d), LayerAvailability: ptr(ecrapi.LayerAvailabilityAvailable), LayerSize: ptr(size)})
	}
	return out, nil
}

// GetDownloadUrlForLayer returns where the layer can be downloaded. ECR
// answers a presigned S3 URL; berth answers the registry's own blob URL on
// the control plane's host, http://HOST/v2/NAME/blobs/DIGEST, which takes
// the same HTTP Basic credentials as docker (user AWS, the password of an
// authorization token) and is authorized as ecr:GetDownloadUrlForLayer.
func (s *Service) GetDownloadUrlForLayer(ctx context.Context, in *ecrapi.GetDownloadUrlForLayerInput) (*ecrapi.GetDownloadUrlForLayerOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	d := str(in.LayerDigest)
	if !validDigest(d) {
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'layerDigest' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''")
	}
	if _, err := s.deps.Images.BlobSize(ctx, r.ID, d); err != nil {
		if errors.Is(err, ErrBlobNotFound) {
			return nil, ecrapi.ErrLayersNotFound("The layer with digest '%s' does not exist in the repository with name '%s' in the registry with id '%s'", d, r.ID, s.cfg.AccountID)
		}
		return nil, fmt.Errorf("ecr: layer %s of %s: %w", d, r.ID, err)
	}
	url := "http://" + s.RegistryHost() + "/v2/" + r.ID + "/blobs/" + d
	return &ecrapi.GetDownloadUrlForLayerOutput{DownloadUrl: ptr(url), LayerDigest: ptr(d)}, nil
}

// InitiateLayerUpload starts a layer upload.
func (s *Service) InitiateLayerUpload(ctx context.Context, in *ecrapi.InitiateLayerUploadInput) (*ecrapi.InitiateLayerUploadOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	id, err := s.deps.Images.StartUpload(ctx, r.ID)
	if err != nil {
		return nil, fmt.Errorf("ecr: start upload to %s: %w", r.ID, err)
	}
	if _, err := s.t.uploads.Create(ctx, id, &uploadRec{Repo: r.ID, Created: s.now()}); err != nil {
		return nil, fmt.Errorf("ecr: %w", err)
	}
	return &ecrapi.InitiateLayerUploadOutput{UploadId: ptr(id), PartSize: ptr(int64(partSize))}, nil
}

// UploadLayerPart appends a part; partFirstByte must be the number of
// bytes uploaded so far and partLastByte the part's last byte
// (InvalidLayerPartException otherwise).
func (s *Service) UploadLayerPart(ctx context.Context, in *ecrapi.UploadLayerPartInput) (*ecrapi.UploadLayerPartOutput, error) {
	r, u, err := s.repoUpload(ctx, in.RegistryId, in.RepositoryName, in.UploadId)
	if err != nil {
		return nil, err
	}
	first, last, n := deref64(in.PartFirstByte), deref64(in.PartLastByte), int64(len(in.LayerPartBlob))
	if n == 0 || first != u.Value.Received || last != first+n-1 {
		return nil, s.errPart(r.ID, u.ID, u.Value.Received)
	}
	got, err := s.deps.Images.UploadPart(ctx, r.ID, u.ID, first, bytes.NewReader(in.LayerPartBlob))
	switch {
	case errors.Is(err, ErrInvalidRange):
		return nil, s.errPart(r.ID, u.ID, u.Value.Received)
	case errors.Is(err, ErrUploadNotFound):
		return nil, s.errNoUpload(r.ID, u.ID)
	case err != nil:
		return nil, fmt.Errorf("ecr: upload part to %s: %w", r.ID, err)
	}
	if _, err := s.t.uploads.Update(ctx, u.ID, func(rec *uploadRec) error { rec.Received = got + 1; return nil }); err != nil {
		return nil, fmt.Errorf("ecr: %w", err)
	}
	return &ecrapi.UploadLayerPartOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), UploadId: ptr(u.ID), LastByteReceived: ptr(got)}, nil
}

// CompleteLayerUpload commits an upload as the layer with the one digest
// given: EmptyUploadException without parts, LayerAlreadyExistsException
// when the repository holds the layer already, InvalidLayerException when
// the bytes do not hash to the digest.
func (s *Service) CompleteLayerUpload(ctx context.Context, in *ecrapi.CompleteLayerUploadInput) (*ecrapi.CompleteLayerUploadOutput, error) {
	r, u, err := s.repoUpload(ctx, in.RegistryId, in.RepositoryName, in.UploadId)
	if err != nil {
		return nil, err
	}
	if len(in.LayerDigests) != 1 {
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'layerDigests' failed to satisfy constraint: 'exactly one layer digest is expected'")
	}
	d := in.LayerDigests[0]
	if !validDigest(d) {
		return nil, ecrapi.ErrInvalidLayer("Invalid layer digest '%s'", d)
	}
	if u.Value.Received == 0 {
		return nil, ecrapi.ErrEmptyUpload("The specified layer upload does not contain any layer parts.")
	}
	if _, err := s.deps.Images.BlobSize(ctx, r.ID, d); err == nil {
		s.forgetUpload(ctx, u)
		return nil, ecrapi.ErrLayerAlreadyExists("The image layer %s already exists in the repository with name '%s' in the registry with id '%s'", d, r.ID, s.cfg.AccountID)
	} else if !errors.Is(err, ErrBlobNotFound) {
		return nil, fmt.Errorf("ecr: layer %s of %s: %w", d, r.ID, err)
	}
	err = s.deps.Images.CompleteUpload(ctx, r.ID, u.ID, d)
	switch {
	case errors.Is(err, ErrInvalidDigest):
		return nil, ecrapi.ErrInvalidLayer("The layer digest calculation performed by Amazon ECR upon receipt of the image layer does not match the digest specified (%s)", d)
	case errors.Is(err, ErrUploadNotFound):
		s.forgetUpload(ctx, u)
		return nil, s.errNoUpload(r.ID, u.ID)
	case err != nil:
		return nil, fmt.Errorf("ecr: complete upload to %s: %w", r.ID, err)
	}
	s.forgetUpload(ctx, u)
	return &ecrapi.CompleteLayerUploadOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), UploadId: ptr(u.ID), LayerDigest: ptr(d)}, nil
}

// repoUpload returns a repository (RepositoryNotFoundException) and one of
// its uploads (UploadNotFoundException).
func (s *Service) repoUpload(ctx context.Context, registryID, name, uploadID *string) (store.Record[repoRec], store.Record[uploadRec], error) {
	r, err := s.repoFor(ctx, registryID, name)
	if err != nil {
		return r, store.Record[uploadRec]{}, err
	}
	u, err := s.upload(ctx, r.ID, str(uploadID))
	return r, u, err
}

// upload returns an upload of repo; UploadNotFoundException otherwise.
func (s *Service) upload(ctx context.Context, repo, id string) (store.Record[uploadRec], error) {
	u, err := s.t.uploads.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Value.Repo != repo {
		return u, s.errNoUpload(repo, id)
	}
	if err != nil {
		return u, fmt.Errorf("ecr: %w", err)
	}
	return u, nil
}

func (s *Service) forgetUpload(ctx context.Context, u store.Record[uploadRec]) {
	_, _ = s.t.uploads.Delete(context.WithoutCancel(ctx), u.ID, 0)
}

func (s *Service) errNoUpload(repo, id string) error {
	return ecrapi.ErrUploadNotFound("The upload with id '%s' does not exist in the repository with name '%s' in the registry with id '%s'", id, repo, s.cfg.AccountID)
}

func (s *Service) errPart(repo, id string, received int64) error {
	return ecrapi.ErrInvalidLayerPart("The layer part size is not valid, or the first byte specified is not consecutive to the last byte of a previous layer part upload (upload %s of repository '%s' has %d bytes).", id, repo, received)
}

func deref64(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
