// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/manifest/manifestlist"
	"github.com/distribution/distribution/v3/manifest/ocischema"
	"github.com/distribution/distribution/v3/manifest/schema2"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrInvalidTag reports a tag that the registry cannot store (the OCI tag
// grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). It is an addition to the
// contract's errors.
var ErrInvalidTag = errors.New("registry: invalid tag")

// Image is one manifest in a repository.
type Image struct {
	Digest            string   // sha256:...
	Tags              []string // sorted
	MediaType         string   // manifest media type
	ArtifactMediaType string   // config media type, when any
	// Size is ECR's imageSizeInBytes: for an image manifest the config's
	// and the layers' sizes as the manifest declares them; for an index or
	// manifest list the sum of the Sizes of the listed manifests that are
	// in the repository.
	Size int64
	// PushedAt is when the manifest was last written (the modification time
	// of its revision link in the storage, so it survives restarts).
	PushedAt time.Time
	Manifest []byte // raw manifest bytes, exactly as pushed
}

// repositoriesRoot is where distribution's storage layout keeps
// repositories, under the driver's root.
const repositoriesRoot = "/docker/registry/v2/repositories"

// maxManifestSize bounds a manifest body, as distribution and ECR do (4 MiB).
const maxManifestSize = 4 << 20

var tagPattern = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)

// repository opens repo's storage; a name distribution cannot store is a
// repository that cannot exist.
func (r *Registry) repository(ctx context.Context, repo string) (distribution.Repository, error) {
	named, err := reference.WithName(repo)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid repository name %q", ErrRepositoryNotFound, repo)
	}
	rep, err := r.ns.Repository(ctx, named)
	if err != nil {
		return nil, fmt.Errorf("registry: open repository %q: %w", repo, err)
	}
	return rep, nil
}

func parseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidDigest, s, err)
	}
	return d, nil
}

func checkTag(tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("%w: %q", ErrInvalidTag, tag)
	}
	return nil
}

// Images returns every manifest of repo with its tags, sorted by digest.
// A repository with nothing stored has no images.
func (r *Registry) Images(ctx context.Context, repo string) ([]Image, error) {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	ms, err := rep.Manifests(ctx)
	if err != nil {
		return nil, fmt.Errorf("registry: manifests of %q: %w", repo, err)
	}
	enum, ok := ms.(distribution.ManifestEnumerator)
	if !ok {
		return nil, errors.New("registry: manifest store cannot enumerate")
	}
	var digests []digest.Digest
	err = enum.Enumerate(ctx, func(d digest.Digest) error {
		digests = append(digests, d)
		return nil
	})
	if err != nil && !isPathNotFound(err) {
		return nil, fmt.Errorf("registry: list manifests of %q: %w", repo, err)
	}
	tags, err := tagsByDigest(ctx, rep)
	if err != nil {
		return nil, err
	}
	slices.Sort(digests)
	digests = slices.Compact(digests)
	images := make([]Image, 0, len(digests))
	for _, d := range digests {
		img, err := r.image(ctx, rep, ms, d)
		if errors.Is(err, ErrImageNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		img.Tags = tags[d]
		images = append(images, img)
	}
	return images, nil
}

// Image returns one image by tag or digest: ErrImageNotFound when there is
// no such manifest or tag.
func (r *Registry) Image(ctx context.Context, repo, ref string) (Image, error) {
	rep, err := r.repository(ctx, repo)
	if err != nil {
		return Image{}, err
	}
	d, err := r.resolve(ctx, rep, ref)
	if err != nil {
		return Image{}, err
	}
	ms, err := rep.Manifests(ctx)
	if err != nil {
		return Image{}, fmt.Errorf("registry: manifests of %q: %w", repo, err)
	}
	img, err := r.image(ctx, rep, ms, d)
	if err != nil {
		return Image{}, err
	}
	tags, err := rep.Tags(ctx).Lookup(ctx, v1.Descriptor{Digest: d})
	if err != nil {
		return Image{}, fmt.Errorf("registry: tags of %s: %w", d, err)
	}
	slices.Sort(tags)
	img.Tags = tags
	return img, nil
}

// resolve turns a tag or digest into a digest.
func (r *Registry) resolve(ctx context.Context, rep distribution.Repository, ref string) (digest.Digest, error) {
	if strings.Contains(ref, ":") {
		return parseDigest(ref)
	}
	if checkTag(ref) != nil {
		return "", fmt.Errorf("%w: no tag %q in %q", ErrImageNotFound, ref, rep.Named().Name())
	}
	desc, err := rep.Tags(ctx).Get(ctx, ref)
	if err != nil {
		var unknown distribution.ErrTagUnknown
		if errors.As(err, &unknown) {
			return "", fmt.Errorf("%w: no tag %q in %q", ErrImageNotFound, ref, rep.Named().Name())
		}
		return "", fmt.Errorf("registry: resolve tag %q: %w", ref, err)
	}
	return desc.Digest, nil
}

// image reads one manifest (without its tags).
func (r *Registry) image(ctx context.Context, rep distribution.Repository, ms distribution.ManifestService, d digest.Digest) (Image, error) {
	return r.imageDepth(ctx, rep, ms, d, 0)
}

func (r *Registry) imageDepth(ctx context.Context, rep distribution.Repository, ms distribution.ManifestService, d digest.Digest, depth int) (Image, error) {
	m, err := ms.Get(ctx, d)
	if err != nil {
		var unknown distribution.ErrManifestUnknownRevision
		if errors.As(err, &unknown) || errors.Is(err, distribution.ErrBlobUnknown) {
			return Image{}, fmt.Errorf("%w: %s in %q", ErrImageNotFound, d, rep.Named().Name())
		}
		return Image{}, fmt.Errorf("registry: read manifest %s: %w", d, err)
	}
	mediaType, payload, err := m.Payload()
	if err != nil {
		return Image{}, fmt.Errorf("registry: manifest %s payload: %w", d, err)
	}
	img := Image{Digest: d.String(), MediaType: mediaType, Manifest: payload}
	switch m := m.(type) {
	case *schema2.DeserializedManifest:
		img.ArtifactMediaType = m.Config.MediaType
		img.Size = descriptorsSize(m.Config, m.Layers)
	case *ocischema.DeserializedManifest:
		img.ArtifactMediaType = m.Config.MediaType
		img.Size = descriptorsSize(m.Config, m.Layers)
	case *manifestlist.DeserializedManifestList:
		for _, c := range m.Manifests {
			img.Size += r.childSize(ctx, rep, ms, c.Digest, depth)
		}
	case *ocischema.DeserializedImageIndex:
		for _, c := range m.Manifests {
			img.Size += r.childSize(ctx, rep, ms, c.Digest, depth)
		}
	}
	fi, err := r.driver.Stat(ctx, revisionLinkPath(rep.Named().Name(), d))
	if err != nil {
		if isPathNotFound(err) {
			return Image{}, fmt.Errorf("%w: %s in %q", ErrImageNotFound, d, rep.Named().Name())
		}
		return Image{}, fmt.Errorf("registry: stat manifest %s: %w", d, err)
	}
	img.PushedAt = fi.ModTime().UTC()
	return img, nil
}

// childSize is the Size of a manifest an index lists, 0 when it is not in
// the repository. Nesting is bounded.
func (r *Registry) childSize(ctx context.Context, rep distribution.Repository, ms distribution.ManifestService, d digest.Digest, depth int) int64 {
	if depth >= 4 {
		return 0
	}
	img, err := r.imageDepth(ctx, rep, ms, d, depth+1)
	if err != nil {
		return 0
	}
	return img.Size
}

func descriptorsSize(config v1.Descriptor, layers []v1.Descriptor) int64 {
	n := config.Size
	for _, l := range layers {
		n += l.Size
	}
	return n
}

func revisionLinkPath(repo string, d digest.Digest) string {
	return path.Join(repositoriesRoot, repo, "_manifests", "revisions", d.Algorithm().String(), d.Encoded(), "link")
}

func isPathNotFound(err error) bool {
	var nf storagedriver.PathNotFoundError
	return errors.As(err, &nf)
}

// tagsByDigest maps each manifest digest of rep to its sorted tags.
func tagsByDigest(ctx context.Context, rep distribution.Repository) (map[digest.Digest][]string, error) {
	ts := rep.Tags(ctx)
	all, err := ts.All(ctx)
	if err != nil {
		var unknown distribution.ErrRepositoryUnknown
		if errors.As(err, &unknown) {
			return nil, nil
		}
		return nil, fmt.Errorf("registry: list tags: %w", err)
	}
	out := make(map[digest.Digest][]string)
	for _, tag := range all { // All is sorted, so each list is too
		desc, err := ts.Get(ctx, tag)
		if err != nil {
			var unknown distribution.ErrTagUnknown
			if errors.As(err, &unknown) {
				continue
			}
			return nil, fmt.Errorf("registry: read tag %q: %w", tag, err)
		}
		out[desc.Digest] = append(out[desc.Digest], tag)
	}
	return out, nil
}

// sniffMediaType finds a manifest's media type from its body when the
// caller gave none: the mediaType field, else OCI index or manifest.
func sniffMediaType(body []byte) string {
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return ""
	}
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return v1.MediaTypeImageIndex
	default:
		return v1.MediaTypeImageManifest
	}
}
