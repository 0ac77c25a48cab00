// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
)

// Failure reasons of the batch image calls.
const (
	reasonNotFound     = "Requested image not found"
	reasonNoDigestTag  = "Invalid request parameters: both tag and digest cannot be null"
	reasonBadDigest    = "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
	reasonBadTag       = "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'"
	reasonTagNotDigest = "Invalid request parameters: the image tag does not point at the image digest"
)

// BatchGetImage returns the manifests of the images named by tag and/or
// digest; each one that cannot be returned is a failure, not an error.
// With acceptedMediaTypes, an image of another media type is a failure
// (berth does not convert manifests).
func (s *Service) BatchGetImage(ctx context.Context, in *ecrapi.BatchGetImageInput) (*ecrapi.BatchGetImageOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIds) == 0 || len(in.ImageIds) > 100 {
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'")
	}
	out := &ecrapi.BatchGetImageOutput{Images: []ecrapi.Image{}, Failures: []ecrapi.ImageFailure{}}
	for _, id := range in.ImageIds {
		img, fail, err := s.resolve(ctx, r.ID, id)
		if err != nil {
			return nil, err
		}
		if fail == nil && len(in.AcceptedMediaTypes) > 0 && !slices.Contains(in.AcceptedMediaTypes, img.MediaType) {
			fail = failure(id, ecrapi.ImageFailureCodeImagenotfound,
				fmt.Sprintf("%s: its manifest media type %s is not among the accepted media types", reasonNotFound, img.MediaType))
		}
		if fail != nil {
			out.Failures = append(out.Failures, *fail)
			continue
		}
		imageID := &ecrapi.ImageIdentifier{ImageDigest: ptr(img.Digest)}
		if id.ImageTag != nil {
			imageID.ImageTag = ptr(*id.ImageTag)
		}
		out.Images = append(out.Images, ecrapi.Image{
			RegistryId:             ptr(s.cfg.AccountID),
			RepositoryName:         ptr(r.ID),
			ImageId:                imageID,
			ImageManifest:          ptr(string(img.Manifest)),
			ImageManifestMediaType: ptr(img.MediaType),
		})
	}
	return out, nil
}

// resolve finds the image an identifier names: a nil failure and the
// image, or a failure in ECR's terms; err only for store failures.
func (s *Service) resolve(ctx context.Context, repo string, id ecrapi.ImageIdentifier) (Image, *ecrapi.ImageFailure, error) {
	digest, tag := str(id.ImageDigest), str(id.ImageTag)
	switch {
	case id.ImageDigest == nil && id.ImageTag == nil:
		return Image{}, failure(id, ecrapi.ImageFailureCodeMissingdigestandtag, reasonNoDigestTag), nil
	case id.ImageDigest != nil && !validDigest(digest):
		return Image{}, failure(id, ecrapi.ImageFailureCodeInvalidimagedigest, reasonBadDigest), nil
	case id.ImageTag != nil && !validTag(tag):
		return Image{}, failure(id, ecrapi.ImageFailureCodeInvalidimagetag, reasonBadTag), nil
	}
	ref := digest
	if ref == "" {
		ref = tag
	}
	img, err := s.deps.Images.Image(ctx, repo, ref)
	if errors.Is(err, ErrImageNotFound) {
		return Image{}, failure(id, ecrapi.ImageFailureCodeImagenotfound, reasonNotFound), nil
	}
	if err != nil {
		return Image{}, nil, fmt.Errorf("ecr: image %s of %s: %w", ref, repo, err)
	}
	if digest != "" && tag != "" && !slices.Contains(img.Tags, tag) {
		return Image{}, failure(id, ecrapi.ImageFailureCodeImagetagdoesnotmatchdigest, reasonTagNotDigest), nil
	}
	return img, nil, nil
}

func failure(id ecrapi.ImageIdentifier, code, reason string) *ecrapi.ImageFailure {
	return &ecrapi.ImageFailure{ImageId: &ecrapi.ImageIdentifier{ImageDigest: id.ImageDigest, ImageTag: id.ImageTag},
		FailureCode: ptr(code), FailureReason: ptr(reason)}
}

// PutImage stores a manifest (and points imageTag at it). Every blob an
// image manifest references must already be in the repository
// (LayersNotFoundException); every manifest an index references likewise
// (ReferencedImagesNotFoundException). In an IMMUTABLE repository an
// existing tag never moves (ImageTagAlreadyExistsException); putting the
// same digest under the same tag again is ImageAlreadyExistsException.
func (s *Service) PutImage(ctx context.Context, in *ecrapi.PutImageInput) (*ecrapi.PutImageOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	repo, body, tag := r.ID, []byte(str(in.ImageManifest)), str(in.ImageTag)
	if in.ImageTag != nil && !validTag(tag) {
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_.]+''")
	}
	m, mediaType, err := parseManifest(body, str(in.ImageManifestMediaType))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if in.ImageDigest != nil && *in.ImageDigest != digest {
		return nil, ecrapi.ErrImageDigestDoesNotMatch("Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The provided image digest %s does not match the digest %s of the manifest'", *in.ImageDigest, digest)
	}
	if err := s.checkNew(ctx, repo, digest, tag, r.Value.Mutability == ecrapi.ImageTagMutabilityImmutable); err != nil {
		return nil, err
	}
	if err := s.checkReferences(ctx, repo, m, mediaType); err != nil {
		return nil, err
	}
	img, err := s.deps.Images.PutManifest(ctx, repo, body, mediaType, tag, digest, r.Value.Mutability == ecrapi.ImageTagMutabilityImmutable)
	switch {
	case errors.Is(err, ErrTagImmutable):
		return nil, s.errTagImmutable(repo, tag)
	case errors.Is(err, ErrBlobNotFound):
		return nil, ecrapi.ErrLayersNotFound("Layers required for pushing image into repository with name '%s' in the registry with id '%s' do not exist", repo, s.cfg.AccountID)
	case errors.Is(err, ErrInvalidDigest):
		return nil, ecrapi.ErrImageDigestDoesNotMatch("The provided image digest does not match the digest of the manifest")
	case errors.Is(err, ErrInvalidManifest):
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid manifest'")
	case err != nil:
		return nil, fmt.Errorf("ecr: put manifest: %w", err)
	}
	id := &ecrapi.ImageIdentifier{ImageDigest: ptr(img.Digest)}
	if tag != "" {
		id.ImageTag = ptr(tag)
	}
	s.deps.Logger.Info("put image", "repository", repo, "digest", img.Digest, "tag", tag)
	return &ecrapi.PutImageOutput{Image: &ecrapi.Image{
		RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(repo), ImageId: id,
		ImageManifest: ptr(string(body)), ImageManifestMediaType: ptr(mediaType),
	}}, nil
}

// checkNew refuses a put that changes nothing (ImageAlreadyExists) and
// one that would move a tag of an immutable repository.
func (s *Service) checkNew(ctx context.Context, repo, digest, tag string, immutable bool) error {
	existing, err := s.deps.Images.Image(ctx, repo, digest)
	switch {
	case err == nil && (tag == "" || slices.Contains(existing.Tags, tag)):
		shown := tag
		if shown == "" {
			shown = "null"
		}
		return ecrapi.ErrImageAlreadyExists("Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'",
			digest, shown, repo, s.cfg.AccountID)
	case err != nil && !errors.Is(err, ErrImageNotFound):
		return fmt.Errorf("ecr: image %s of %s: %w", digest, repo, err)
	}
	if tag == "" || !immutable {
		return nil
	}
	_, err = s.deps.Images.Image(ctx, repo, tag)
	switch {
	case err == nil:
		return s.errTagImmutable(repo, tag)
	case !errors.Is(err, ErrImageNotFound):
		return fmt.Errorf("ecr: image %s of %s: %w", tag, repo, err)
	}
	return nil
}

func (s *Service) errTagImmutable(repo, tag string) error {
	return ecrapi.ErrImageTagAlreadyExists("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo)
}

// checkReferences makes sure what a manifest references is in repo.
func (s *Service) checkReferences(ctx context.Context, repo string, m manifest, mediaType string) error {
	if isIndex(mediaType) {
		var missing []string
		for _, d := range m.Manifests {
			if !validDigest(d.Digest) {
				missing = append(missing, d.Digest)
				continue
			}
			_, err := s.deps.Images.Image(ctx, repo, d.Digest)
			if errors.Is(err, ErrImageNotFound) {
				missing = append(missing, d.Digest)
			} else if err != nil {
				return fmt.Errorf("ecr: image %s of %s: %w", d.Digest, repo, err)
			}
		}
		if len(missing) > 0 {
			return ecrapi.ErrReferencedImagesNotFound("Images with digests '[%s]' referenced in the manifest list were not found in the repository with name '%s' in the registry with id '%s'",
				strings.Join(missing, ", "), repo, s.cfg.AccountID)
		}
		return nil
	}
	var missing []string
	for _, d := range m.blobs() {
		if !validDigest(d) {
			missing = append(missing, d)
			continue
		}
		_, err := s.deps.Images.BlobSize(ctx, repo, d)
		if errors.Is(err, ErrBlobNotFound) {
			missing = append(missing, d)
		} else if err != nil {
			return fmt.Errorf("ecr: layer %s of %s: %w", d, repo, err)
		}
	}
	if len(missing) > 0 {
		return ecrapi.ErrLayersNotFound("Layers with digests '[%s]' required for pushing image into repository with name '%s' in the registry with id '%s' do not exist",
			strings.Join(missing, ", "), repo, s.cfg.AccountID)
	}
	return nil
}

// BatchDeleteImage deletes images by digest (with all their tags) and
// removes tags; as on ECR, removing an image's last tag deletes the
// image. Each identifier that cannot be deleted is a failure.
func (s *Service) BatchDeleteImage(ctx context.Context, in *ecrapi.BatchDeleteImageInput) (*ecrapi.BatchDeleteImageOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIds) == 0 || len(in.ImageIds) > 100 {
		return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'")
	}
	out := &ecrapi.BatchDeleteImageOutput{ImageIds: []ecrapi.ImageIdentifier{}, Failures: []ecrapi.ImageFailure{}}
	for _, id := range in.ImageIds {
		img, fail, err := s.resolve(ctx, r.ID, id)
		if err != nil {
			return nil, err
		}
		if fail != nil {
			out.Failures = append(out.Failures, *fail)
			continue
		}
		deleted, err := s.deleteImage(ctx, r.ID, img, str(id.ImageTag))
		if errors.Is(err, ErrImageNotFound) { // deleted concurrently
			out.Failures = append(out.Failures, *failure(id, ecrapi.ImageFailureCodeImagenotfound, reasonNotFound))
			continue
		}
		if err != nil {
			return nil, err
		}
		out.ImageIds = append(out.ImageIds, deleted...)
	}
	return out, nil
}

// deleteImage removes tag from img, or (tag "", or img's last tag) the
// whole image, and returns the identifiers removed.
func (s *Service) deleteImage(ctx context.Context, repo string, img Image, tag string) ([]ecrapi.ImageIdentifier, error) {
	if tag != "" && len(img.Tags) > 1 {
		if err := s.deps.Images.Untag(ctx, repo, tag); err != nil {
			return nil, fmt.Errorf("ecr: untag %s of %s: %w", tag, repo, err)
		}
		return []ecrapi.ImageIdentifier{{ImageDigest: ptr(img.Digest), ImageTag: ptr(tag)}}, nil
	}
	if err := s.deps.Images.DeleteManifest(ctx, repo, img.Digest); err != nil {
		return nil, fmt.Errorf("ecr: delete %s of %s: %w", img.Digest, repo, err)
	}
	if len(img.Tags) == 0 {
		return []ecrapi.ImageIdentifier{{ImageDigest: ptr(img.Digest)}}, nil
	}
	ids := make([]ecrapi.ImageIdentifier, 0, len(img.Tags))
	for _, t := range img.Tags {
		ids = append(ids, ecrapi.ImageIdentifier{ImageDigest: ptr(img.Digest), ImageTag: ptr(t)})
	}
	return ids, nil
}
