// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/store"
)

// describeLimit is DescribeRepositories' page limit: its default page
// size is 100, its largest 1000.
const describeLimit = 1000

// CreateRepository creates an empty repository. Its name, tag
// mutability, scanning and encryption configuration and tags are
// validated first; nothing is stored when any is wrong.
func (s *Service) CreateRepository(ctx context.Context, in *ecrapi.CreateRepositoryInput) (*ecrapi.CreateRepositoryOutput, error) {
	if err := s.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	name := str(in.RepositoryName)
	if err := validateName(name); err != nil {
		return nil, err
	}
	rec := &repoRec{Name: name, Created: s.now(), Mutability: ecrapi.ImageTagMutabilityMutable, EncryptionType: ecrapi.EncryptionTypeAes256}
	if in.ImageTagMutability != nil {
		m, err := mutability(*in.ImageTagMutability)
		if err != nil {
			return nil, err
		}
		rec.Mutability = m
	}
	if c := in.ImageScanningConfiguration; c != nil && c.ScanOnPush != nil {
		rec.ScanOnPush = *c.ScanOnPush
	}
	if e := in.EncryptionConfiguration; e != nil {
		switch t := str(e.EncryptionType); t {
		case ecrapi.EncryptionTypeAes256:
			if str(e.KmsKey) != "" {
				return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'KMS key can only be specified when encryptionType is KMS'")
			}
		case ecrapi.EncryptionTypeKms:
			rec.EncryptionType, rec.KMSKey = t, str(e.KmsKey)
		default:
			return nil, ecrapi.ErrValidation("1 validation error detected: Value '%s' at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS]", t)
		}
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	rec.Tags = tags
	if _, err := s.t.repos.Create(ctx, name, rec); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, ecrapi.ErrRepositoryAlreadyExists("The repository with name '%s' already exists in the registry with id '%s'", name, s.cfg.AccountID)
		}
		return nil, fmt.Errorf("ecr: %w", err)
	}
	s.deps.Logger.Info("created repository", "repository", name)
	return &ecrapi.CreateRepositoryOutput{Repository: s.repository(rec)}, nil
}

// DescribeRepositories describes the named repositories (all must exist)
// or, when none are named, a page of every repository in name order.
func (s *Service) DescribeRepositories(ctx context.Context, in *ecrapi.DescribeRepositoriesInput) (*ecrapi.DescribeRepositoriesOutput, error) {
	if err := s.registryID(in.RegistryId); err != nil {
		return nil, err
	}
	out := &ecrapi.DescribeRepositoriesOutput{Repositories: []ecrapi.Repository{}}
	if len(in.RepositoryNames) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, ecrapi.ErrInvalidParameter("Invalid parameter: maxResults and nextToken cannot be used with repositoryNames")
		}
		if len(in.RepositoryNames) > 100 {
			return nil, ecrapi.ErrInvalidParameter("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length less than or equal to 100'")
		}
		for _, name := range in.RepositoryNames {
			if err := validateName(name); err != nil {
				return nil, err
			}
			r, err := s.repo(ctx, name)
			if err != nil {
				return nil, err
			}
			out.Repositories = append(out.Repositories, *s.repository(r.Value))
		}
		return out, nil
	}
	limit, err := maxResults(in.MaxResults, describeLimit, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, next, err := s.t.repos.List(ctx, store.Page{After: after, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("ecr: %w", err)
	}
	for _, r := range recs {
		out.Repositories = append(out.Repositories, *s.repository(r.Value))
	}
	out.NextToken = encodeToken(next)
	return out, nil
}

// DeleteRepository deletes a repository and its images: refused with
// RepositoryNotEmptyException while it holds images, unless force is set.
// The record goes first, so the registry refuses pushes to it at once;
// then its storage is removed.
func (s *Service) DeleteRepository(ctx context.Context, in *ecrapi.DeleteRepositoryInput) (*ecrapi.DeleteRepositoryOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	name := r.ID
	if in.Force == nil || !*in.Force {
		imgs, err := s.deps.Images.Images(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("ecr: images of %s: %w", name, err)
		}
		if len(imgs) > 0 {
			return nil, ecrapi.ErrRepositoryNotEmpty("The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", name, s.cfg.AccountID)
		}
	}
	if _, err := s.t.repos.Delete(ctx, name, r.Revision); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, s.errRepoNotFound(name)
		}
		if errors.Is(err, store.ErrConflict) {
			// Changed under us (a tag or policy update): the caller retries.
			return nil, ecrapi.ErrServer("The repository with name '%s' was modified concurrently; retry the request", name)
		}
		return nil, fmt.Errorf("ecr: %w", err)
	}
	s.deleteUploads(ctx, name)
	if err := s.deps.Images.DeleteRepository(context.WithoutCancel(ctx), name); err != nil {
		s.deps.Logger.Error("ecr: removing the storage of a deleted repository", "repository", name, logkey.Err, err)
		return nil, fmt.Errorf("ecr: storage of %s: %w", name, err)
	}
	s.deps.Logger.Info("deleted repository", "repository", name)
	return &ecrapi.DeleteRepositoryOutput{Repository: s.repository(r.Value)}, nil
}

// PutImageTagMutability sets whether the repository's tags may move.
func (s *Service) PutImageTagMutability(ctx context.Context, in *ecrapi.PutImageTagMutabilityInput) (*ecrapi.PutImageTagMutabilityOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	m, err := mutability(str(in.ImageTagMutability))
	if err != nil {
		return nil, err
	}
	if _, err := s.updateRepo(ctx, r.ID, func(rec *repoRec) error { rec.Mutability = m; return nil }); err != nil {
		return nil, err
	}
	return &ecrapi.PutImageTagMutabilityOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID), ImageTagMutability: ptr(m)}, nil
}

// PutImageScanningConfiguration stores scanOnPush (berth does not scan).
func (s *Service) PutImageScanningConfiguration(ctx context.Context, in *ecrapi.PutImageScanningConfigurationInput) (*ecrapi.PutImageScanningConfigurationOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	scan := in.ImageScanningConfiguration != nil && in.ImageScanningConfiguration.ScanOnPush != nil && *in.ImageScanningConfiguration.ScanOnPush
	if _, err := s.updateRepo(ctx, r.ID, func(rec *repoRec) error { rec.ScanOnPush = scan; return nil }); err != nil {
		return nil, err
	}
	return &ecrapi.PutImageScanningConfigurationOutput{RegistryId: ptr(s.cfg.AccountID), RepositoryName: ptr(r.ID),
		ImageScanningConfiguration: &ecrapi.ImageScanningConfiguration{ScanOnPush: ptr(scan)}}, nil
}

// RepositoryInfo is what the registry needs to know of a repository.
type RepositoryInfo struct {
	Name          string
	ImmutableTags bool
}

// Repository reports whether the repository exists (ok) and whether its
// tags are immutable.
func (s *Service) Repository(ctx context.Context, name string) (RepositoryInfo, bool) {
	r, err := s.t.repos.Get(ctx, name)
	if err != nil {
		return RepositoryInfo{}, false
	}
	return RepositoryInfo{Name: r.ID, ImmutableTags: r.Value.Mutability == ecrapi.ImageTagMutabilityImmutable}, true
}

// repository renders a record as ECR's Repository.
func (s *Service) repository(r *repoRec) *ecrapi.Repository {
	return &ecrapi.Repository{
		RepositoryArn:              ptr(s.repoARN(s.cfg.AccountID, r.Name)),
		RegistryId:                 ptr(s.cfg.AccountID),
		RepositoryName:             ptr(r.Name),
		RepositoryUri:              ptr(s.RegistryHost() + "/" + r.Name),
		CreatedAt:                  ptr(r.Created),
		ImageTagMutability:         ptr(r.Mutability),
		ImageScanningConfiguration: &ecrapi.ImageScanningConfiguration{ScanOnPush: ptr(r.ScanOnPush)},
		EncryptionConfiguration:    encryption(r),
	}
}

func encryption(r *repoRec) *ecrapi.EncryptionConfiguration {
	e := &ecrapi.EncryptionConfiguration{EncryptionType: ptr(r.EncryptionType)}
	if r.KMSKey != "" {
		e.KmsKey = ptr(r.KMSKey)
	}
	return e
}

// mutability checks an imageTagMutability value.
func mutability(m string) (string, error) {
	if !slices.Contains([]string{ecrapi.ImageTagMutabilityMutable, ecrapi.ImageTagMutabilityImmutable}, m) {
		return "", ecrapi.ErrValidation("1 validation error detected: Value '%s' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: [MUTABLE, IMMUTABLE]", m)
	}
	return m, nil
}

// deleteUploads forgets the uploads in progress of a deleted repository.
func (s *Service) deleteUploads(ctx context.Context, repo string) {
	recs, _, err := s.t.uploads.List(ctx, store.Page{})
	if err != nil {
		return
	}
	for _, u := range recs {
		if u.Value.Repo == repo {
			_, _ = s.t.uploads.Delete(ctx, u.ID, u.Revision)
		}
	}
}
