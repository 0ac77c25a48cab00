// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/distribution/distribution/v3"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// PutManifest stores a manifest, verifying that every blob (or, for an
// index, every manifest) it references is in the repository: ErrBlobNotFound
// naming the missing digests. When tag != "" it points tag at the
// manifest, refusing with ErrTagImmutable when immutable is true and tag
// already points at another digest. digest, when non-empty, must match the
// manifest bytes (ErrInvalidDigest). A body that does not parse as the
// media type (sniffed from the body when mediaType is empty) is
// ErrInvalidManifest. The HTTP manifest PUT goes through the same tag lock
// and immutability check.
func (r *Registry) PutManifest(ctx context.Context, repo string, body []byte, mediaType, tag, dgst string, immutable bool) (Image, error) {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return Image{}, err
	}
	if tag != "" {
		if err := checkTag(tag); err != nil {
			return Image{}, err
		}
	}
	if len(body) > maxManifestSize {
		return Image{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalidManifest, maxManifestSize)
	}
	if mediaType == "" {
		mediaType = sniffMediaType(body)
	}
	m, desc, err := distribution.UnmarshalManifest(mediaType, body)
	if err != nil {
		return Image{}, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	if dgst != "" {
		want, err := parseDigest(dgst)
		if err != nil {
			return Image{}, err
		}
		if want != desc.Digest {
			return Image{}, fmt.Errorf("%w: the manifest's digest is %s, not %s", ErrInvalidDigest, desc.Digest, want)
		}
	}
	if tag != "" {
		unlock := r.locks.Lock(tagKey(repo, tag))
		defer unlock()
		if immutable {
			if err := checkImmutable(ctx, rep, tag, desc.Digest); err != nil {
				return Image{}, err
			}
		}
	}
	ms, err := rep.Manifests(ctx)
	if err != nil {
		return Image{}, fmt.Errorf("registry: manifests of %q: %w", repo, err)
	}
	if _, err := ms.Put(ctx, m); err != nil {
		return Image{}, manifestPutError(err)
	}
	if tag != "" {
		if err := rep.Tags(ctx).Tag(ctx, tag, v1.Descriptor{Digest: desc.Digest}); err != nil {
			return Image{}, fmt.Errorf("registry: tag %q: %w", tag, err)
		}
	}
	r.log.DebugContext(ctx, "registry: manifest stored", "repository", repo, "digest", desc.Digest.String(), "tag", tag)
	return r.Image(ctx, repo, desc.Digest.String())
}

// checkImmutable refuses to move tag of an immutable repository to d. The
// caller holds the tag's lock.
func checkImmutable(ctx context.Context, rep distribution.Repository, tag string, d digest.Digest) error {
	cur, err := rep.Tags(ctx).Get(ctx, tag)
	if err != nil {
		var unknown distribution.ErrTagUnknown
		if errors.As(err, &unknown) {
			return nil
		}
		return fmt.Errorf("registry: read tag %q: %w", tag, err)
	}
	if cur.Digest == d {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrTagImmutable, immutableMessage(tag, rep.Named().Name()))
}

// immutableMessage is ECR's ImageTagAlreadyExistsException message.
func immutableMessage(tag, repo string) string {
	return fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo)
}

// manifestPutError maps distribution's verification errors.
func manifestPutError(err error) error {
	var verr distribution.ErrManifestVerification
	if !errors.As(err, &verr) {
		return fmt.Errorf("registry: store manifest: %w", err)
	}
	var missing, other []string
	for _, e := range verr {
		var unknown distribution.ErrManifestBlobUnknown
		if errors.As(e, &unknown) {
			missing = append(missing, unknown.Digest.String())
			continue
		}
		other = append(other, e.Error())
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrBlobNotFound, strings.Join(missing, ", "))
	}
	return fmt.Errorf("%w: %s", ErrInvalidManifest, strings.Join(other, "; "))
}

// Untag removes tag from repo, leaving the manifest: ErrImageNotFound when
// there is no such tag.
func (r *Registry) Untag(ctx context.Context, repo, tag string) error {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return err
	}
	if checkTag(tag) != nil {
		return fmt.Errorf("%w: no tag %q in %q", ErrImageNotFound, tag, repo)
	}
	unlock := r.locks.Lock(tagKey(repo, tag))
	defer unlock()
	return untagLocked(ctx, rep, tag, "")
}

// untagLocked removes tag, only if it points at want when want != "".
func untagLocked(ctx context.Context, rep distribution.Repository, tag string, want digest.Digest) error {
	ts := rep.Tags(ctx)
	cur, err := ts.Get(ctx, tag)
	if err != nil {
		var unknown distribution.ErrTagUnknown
		if errors.As(err, &unknown) {
			return fmt.Errorf("%w: no tag %q in %q", ErrImageNotFound, tag, rep.Named().Name())
		}
		return fmt.Errorf("registry: read tag %q: %w", tag, err)
	}
	if want != "" && cur.Digest != want {
		return nil // moved meanwhile
	}
	if err := ts.Untag(ctx, tag); err != nil && !isPathNotFound(err) {
		return fmt.Errorf("registry: untag %q: %w", tag, err)
	}
	return nil
}

// DeleteManifest removes the manifest digest from repo and every tag that
// points at it: ErrImageNotFound when the repository has no such manifest,
// ErrInvalidDigest when digest is malformed. Blobs stay until a garbage
// collection.
func (r *Registry) DeleteManifest(ctx context.Context, repo, dgst string) error {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return err
	}
	d, err := parseDigest(dgst)
	if err != nil {
		return err
	}
	ms, err := rep.Manifests(ctx)
	if err != nil {
		return fmt.Errorf("registry: manifests of %q: %w", repo, err)
	}
	if err := ms.Delete(ctx, d); err != nil {
		if errors.Is(err, distribution.ErrBlobUnknown) || isPathNotFound(err) {
			return fmt.Errorf("%w: %s in %q", ErrImageNotFound, d, repo)
		}
		return fmt.Errorf("registry: delete manifest %s: %w", d, err)
	}
	tags, err := rep.Tags(ctx).Lookup(ctx, v1.Descriptor{Digest: d})
	if err != nil {
		return fmt.Errorf("registry: tags of %s: %w", d, err)
	}
	for _, tag := range tags {
		unlock := r.locks.Lock(tagKey(repo, tag))
		err := untagLocked(ctx, rep, tag, d)
		unlock()
		if err != nil && !errors.Is(err, ErrImageNotFound) {
			return err
		}
	}
	r.log.DebugContext(ctx, "registry: manifest deleted", "repository", repo, "digest", d.String(), "tags", len(tags))
	return nil
}

// DeleteRepository removes all of repo's storage: manifests, tags, layer
// links and uploads. Blobs stay until a garbage collection. Repositories
// nested under repo's name (repo/child) are left alone. Deleting a
// repository with nothing stored is not an error.
func (r *Registry) DeleteRepository(ctx context.Context, repo string) error {
	if _, err := r.repository(ctx, repo); err != nil {
		return err
	}
	for _, dir := range []string{"_manifests", "_layers", "_uploads"} {
		p := path.Join(repositoriesRoot, repo, dir)
		if err := r.driver.Delete(ctx, p); err != nil && !isPathNotFound(err) {
			return fmt.Errorf("registry: delete %s of %q: %w", dir, repo, err)
		}
	}
	r.log.DebugContext(ctx, "registry: repository storage deleted", "repository", repo)
	return nil
}
