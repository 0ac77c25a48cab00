// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
)

// imageLimit is the largest page of DescribeImages and ListImages; both
// return 100 results per page by default.
const imageLimit = 1000

// DescribeImages describes the named images (each must exist:
// ImageNotFoundException) or a page of the repository's images in digest
// order, filtered by tagStatus.
func (s *Service) DescribeImages(ctx context.Context, in *ecrapi.DescribeImagesInput) (*ecrapi.DescribeImagesOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	status, err := tagStatus(in.Filter)
	if err != nil {
		return nil, err
	}
	out := &ecrapi.DescribeImagesOutput{ImageDetails: []ecrapi.ImageDetail{}}
	if len(in.ImageIds) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, ecrapi.ErrInvalidParameter("Invalid parameter: maxResults and nextToken cannot be used with imageIds")
		}
		seen := map[string]bool{}
		for _, id := range in.ImageIds {
			img, fail, err := s.resolve(ctx, r.ID, id)
			if err != nil {
				return nil, err
			}
			if fail != nil {
				if str(fail.FailureCode) != ecrapi.ImageFailureCodeImagenotfound {
					return nil, ecrapi.ErrInvalidParameter("%s", str(fail.FailureReason))
				}
				return nil, ecrapi.ErrImageNotFound("The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
					orNull(id.ImageDigest), orNull(id.ImageTag), r.ID, s.cfg.AccountID)
			}
			if !seen[img.Digest] && matchStatus(img, status) {
				seen[img.Digest] = true
				out.ImageDetails = append(out.ImageDetails, s.detail(r.ID, img))
			}
		}
		return out, nil
	}
	imgs, limit, after, err := s.imagePage(ctx, r.ID, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(imgs, func(a, b Image) int { return strings.Compare(a.Digest, b.Digest) })
	for _, img := range imgs {
		if img.Digest <= after || !matchStatus(img, status) {
			continue
		}
		if len(out.ImageDetails) == limit {
			out.NextToken = encodeToken(str(out.ImageDetails[limit-1].ImageDigest))
			break
		}
		out.ImageDetails = append(out.ImageDetails, s.detail(r.ID, img))
	}
	return out, nil
}

// ListImages lists a page of the repository's image identifiers: one per
// tag (digest and tag), one for each untagged image (digest only),
// ordered by digest then tag and filtered by tagStatus.
func (s *Service) ListImages(ctx context.Context, in *ecrapi.ListImagesInput) (*ecrapi.ListImagesOutput, error) {
	r, err := s.repoFor(ctx, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var f *ecrapi.DescribeImagesFilter
	if in.Filter != nil {
		f = &ecrapi.DescribeImagesFilter{TagStatus: in.Filter.TagStatus}
	}
	status, err := tagStatus(f)
	if err != nil {
		return nil, err
	}
	imgs, limit, after, err := s.imagePage(ctx, r.ID, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	type entry struct{ key, digest, tag string }
	var entries []entry
	for _, img := range imgs {
		if !matchStatus(img, status) {
			continue
		}
		if len(img.Tags) == 0 {
			entries = append(entries, entry{key: img.Digest, digest: img.Digest})
		}
		for _, t := range img.Tags {
			entries = append(entries, entry{key: img.Digest + " " + t, digest: img.Digest, tag: t})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	out := &ecrapi.ListImagesOutput{ImageIds: []ecrapi.ImageIdentifier{}}
	last := ""
	for _, e := range entries {
		if e.key <= after {
			continue
		}
		if len(out.ImageIds) == limit {
			out.NextToken = encodeToken(last)
			break
		}
		id := ecrapi.ImageIdentifier{ImageDigest: ptr(e.digest)}
		if e.tag != "" {
			id.ImageTag = ptr(e.tag)
		}
		out.ImageIds = append(out.ImageIds, id)
		last = e.key
	}
	return out, nil
}

// imagePage reads the paging parameters of DescribeImages and ListImages
// (page size, resume key) and then the repository's images, unsorted.
func (s *Service) imagePage(ctx context.Context, repo string, size *int32, token *string) (imgs []Image, limit int, after string, err error) {
	limit, err = maxResults(size, imageLimit, 100)
	if err != nil {
		return nil, 0, "", err
	}
	after, err = decodeToken(token)
	if err != nil {
		return nil, 0, "", err
	}
	imgs, err = s.deps.Images.Images(ctx, repo)
	if err != nil {
		return nil, 0, "", fmt.Errorf("ecr: images of %s: %w", repo, err)
	}
	return imgs, limit, after, nil
}

// tagStatus reads a tagStatus filter: TAGGED, UNTAGGED or ANY (default).
func tagStatus(f *ecrapi.DescribeImagesFilter) (string, error) {
	if f == nil || f.TagStatus == nil {
		return ecrapi.TagStatusAny, nil
	}
	switch v := *f.TagStatus; v {
	case ecrapi.TagStatusTagged, ecrapi.TagStatusUntagged, ecrapi.TagStatusAny:
		return v, nil
	default:
		return "", ecrapi.ErrValidation("1 validation error detected: Value '%s' at 'filter.tagStatus' failed to satisfy constraint: Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]", v)
	}
}

func matchStatus(img Image, status string) bool {
	switch status {
	case ecrapi.TagStatusTagged:
		return len(img.Tags) > 0
	case ecrapi.TagStatusUntagged:
		return len(img.Tags) == 0
	}
	return true
}

// detail renders an image as ECR's ImageDetail.
func (s *Service) detail(repo string, img Image) ecrapi.ImageDetail {
	d := ecrapi.ImageDetail{
		RegistryId:             ptr(s.cfg.AccountID),
		RepositoryName:         ptr(repo),
		ImageDigest:            ptr(img.Digest),
		ImageSizeInBytes:       ptr(img.Size),
		ImagePushedAt:          ptr(img.PushedAt.UTC()),
		ImageManifestMediaType: ptr(img.MediaType),
	}
	if len(img.Tags) > 0 {
		d.ImageTags = append([]string(nil), img.Tags...)
	}
	if img.ArtifactMediaType != "" {
		d.ArtifactMediaType = ptr(img.ArtifactMediaType)
	}
	return d
}

func orNull(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}
