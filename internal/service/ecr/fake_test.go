// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// fakeImages is an in-memory ImageStore with the registry's semantics.
type fakeImages struct {
	mu    sync.Mutex
	repos map[string]*fakeRepo
	now   func() time.Time
}

type fakeRepo struct {
	blobs     map[string][]byte
	manifests map[string]Image
	tags      map[string]string // tag → digest
	uploads   map[string]*bytes.Buffer
}

var _ ImageStore = (*fakeImages)(nil)

func newFakeImages() *fakeImages {
	return &fakeImages{repos: map[string]*fakeRepo{}, now: time.Now}
}

func (f *fakeImages) repo(name string) *fakeRepo {
	r := f.repos[name]
	if r == nil {
		r = &fakeRepo{blobs: map[string][]byte{}, manifests: map[string]Image{}, tags: map[string]string{}, uploads: map[string]*bytes.Buffer{}}
		f.repos[name] = r
	}
	return r
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (f *fakeImages) image(r *fakeRepo, digest string) Image {
	img := r.manifests[digest]
	img.Tags = nil
	for t, d := range r.tags {
		if d == digest {
			img.Tags = append(img.Tags, t)
		}
	}
	sort.Strings(img.Tags)
	return img
}

func (f *fakeImages) Images(_ context.Context, repo string) ([]Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repo(repo)
	var out []Image
	for d := range r.manifests {
		out = append(out, f.image(r, d))
	}
	slices.SortFunc(out, func(a, b Image) int { return cmpStr(a.Digest, b.Digest) })
	return out, nil
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *fakeImages) Image(_ context.Context, repo, ref string) (Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repo(repo)
	if d, ok := r.tags[ref]; ok {
		ref = d
	}
	if _, ok := r.manifests[ref]; !ok {
		return Image{}, fmt.Errorf("%w: %s", ErrImageNotFound, ref)
	}
	return f.image(r, ref), nil
}

func (f *fakeImages) PutManifest(_ context.Context, repo string, body []byte, mediaType, tag, digest string, immutable bool) (Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repo(repo)
	d := digestOf(body)
	if digest != "" && digest != d {
		return Image{}, ErrInvalidDigest
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return Image{}, ErrInvalidManifest
	}
	size := int64(0)
	for _, b := range m.blobs() {
		blob, ok := r.blobs[b]
		if !ok {
			return Image{}, fmt.Errorf("%w: %s", ErrBlobNotFound, b)
		}
		size += int64(len(blob))
	}
	if old, ok := r.tags[tag]; tag != "" && ok && immutable && old != d {
		return Image{}, ErrTagImmutable
	}
	img := Image{Digest: d, MediaType: mediaType, Size: size, PushedAt: f.now(), Manifest: append([]byte(nil), body...)}
	if m.Config != nil {
		img.ArtifactMediaType = m.Config.MediaType
	}
	if old, ok := r.manifests[d]; ok {
		img.PushedAt = old.PushedAt
	}
	r.manifests[d] = img
	if tag != "" {
		r.tags[tag] = d
	}
	return f.image(r, d), nil
}

func (f *fakeImages) Untag(_ context.Context, repo, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repo(repo)
	if _, ok := r.tags[tag]; !ok {
		return ErrImageNotFound
	}
	delete(r.tags, tag)
	return nil
}

func (f *fakeImages) DeleteManifest(_ context.Context, repo, digest string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repo(repo)
	if _, ok := r.manifests[digest]; !ok {
		return ErrImageNotFound
	}
	delete(r.manifests, digest)
	for t, d := range r.tags {
		if d == digest {
			delete(r.tags, t)
		}
	}
	return nil
}

func (f *fakeImages) BlobSize(_ context.Context, repo, digest string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.repo(repo).blobs[digest]
	if !ok {
		return 0, ErrBlobNotFound
	}
	return int64(len(b)), nil
}

func (f *fakeImages) StartUpload(_ context.Context, repo string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f.repo(repo).uploads[id] = &bytes.Buffer{}
	return id, nil
}

func (f *fakeImages) UploadPart(_ context.Context, repo, id string, first int64, data io.Reader) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.repo(repo).uploads[id]
	if !ok {
		return 0, ErrUploadNotFound
	}
	if first != int64(u.Len()) {
		return 0, ErrInvalidRange
	}
	if _, err := io.Copy(u, data); err != nil {
		return 0, err
	}
	return int64(u.Len()) - 1, nil
}

func (f *fakeImages) CompleteUpload(_ context.Context, repo, id, digest string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repo(repo)
	u, ok := r.uploads[id]
	if !ok {
		return ErrUploadNotFound
	}
	if digestOf(u.Bytes()) != digest {
		return ErrInvalidDigest
	}
	r.blobs[digest] = u.Bytes()
	delete(r.uploads, id)
	return nil
}

func (f *fakeImages) DeleteRepository(_ context.Context, repo string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.repos, repo)
	return nil
}

// putBlob stores a blob directly (as a docker push would).
func (f *fakeImages) putBlob(repo string, b []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := digestOf(b)
	f.repo(repo).blobs[d] = b
	return d
}
