// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store/storetest"
	"github.com/berthdev/berth/internal/testutil/testclock"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testHost    = "127.0.0.1:4566"
)

// fakeKeys resolves access keys from a map.
type fakeKeys struct {
	mu   sync.Mutex
	keys map[string]Credential
}

func (k *fakeKeys) AccessKey(_ context.Context, id string) (Credential, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.keys[id]
	if !ok {
		return Credential{}, fmt.Errorf("%w: %s", ErrUnknownAccessKey, id)
	}
	return c, nil
}

func (k *fakeKeys) set(id string, c Credential) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[id] = c
}

func (k *fakeKeys) remove(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, id)
}

type fixture struct {
	svc    *Service
	images *fakeImages
	keys   *fakeKeys
	clock  *testclock.Clock
	ctx    context.Context // signed by the root's key AKIAROOT
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.New(t)
	clk := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	imgs := newFakeImages()
	imgs.now = clk.Now
	root := &principal.Principal{Kind: principal.Root, AccountID: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root", UserID: testAccount, AccessKeyID: "AKIAROOT"}
	keys := &fakeKeys{keys: map[string]Credential{"AKIAROOT": {Principal: root}}}
	svc, err := New(context.Background(),
		Config{AccountID: testAccount, Region: testRegion, RegistryHost: func() string { return testHost }, Clock: clk.Now},
		Deps{Store: st, Images: imgs, Keys: keys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, images: imgs, keys: keys, clock: clk, ctx: principal.NewContext(context.Background(), root)}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// testManifest returns a docker v2 image manifest over blobs already in
// repo: a config and one layer of the given content.
func (f *fixture) testManifest(t *testing.T, repo, content string) string {
	t.Helper()
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"c":"` + content + `"}`)
	layer := []byte("layer " + content)
	cd, ld := f.images.putBlob(repo, cfg), f.images.putBlob(repo, layer)
	return manifestJSON(t, cd, len(cfg), ld, len(layer))
}

func manifestJSON(t *testing.T, cfgDigest string, cfgSize int, layerDigest string, layerSize int) string {
	t.Helper()
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtDockerV2,
		"config":        map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cfgDigest, "size": cfgSize},
		"layers":        []any{map[string]any{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": layerDigest, "size": layerSize}},
	}
	b, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sp(s string) *string { return &s }

func joined(ss []string) string { return strings.Join(ss, ",") }
