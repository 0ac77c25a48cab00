// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dockerCLI returns a runner of the docker CLI with a private config dir,
// or skips the test when there is no Docker Engine.
func dockerCLI(t *testing.T) func(stdin string, args ...string) (string, error) {
	t.Helper()
	if os.Getenv("BERTH_SKIP_DOCKER_TESTS") != "" {
		t.Skip("BERTH_SKIP_DOCKER_TESTS is set: skipping a test that needs a Docker Engine")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI in PATH: skipping a test that needs a Docker Engine")
	}
	cfgDir := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir, "DOCKER_BUILDKIT=0")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("", "version", "--format", "{{.Server.Version}}"); err != nil {
		t.Skipf("no Docker Engine answers (%v: %s): skipping a test that needs Docker", err, strings.TrimSpace(out))
	}
	return run
}

// TestDocker_PushPull drives the real docker CLI: login with the token
// password, push a FROM-scratch image built here, remove it, pull it back.
// Docker talks plain HTTP to registries on 127.0.0.0/8.
func TestDocker_PushPull(t *testing.T) {
	docker := dockerCLI(t)
	g := newFakeGuard(RepositoryInfo{Name: "berth-test/hello", ImmutableTags: true})
	reg, err := Open(Config{RootDir: t.TempDir()}, Deps{Guard: g})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler()) // 127.0.0.1
	t.Cleanup(func() { srv.Close(); _ = reg.Close() })
	host := strings.TrimPrefix(srv.URL, "http://")

	if out, err := docker("wrong", "login", "-u", "AWS", "--password-stdin", host); err == nil {
		t.Fatalf("docker login with a wrong password succeeded: %s", out)
	}
	if out, err := docker(testPassword, "login", "-u", "AWS", "--password-stdin", host); err != nil {
		t.Fatalf("docker login: %v\n%s", err, out)
	}

	buildDir := t.TempDir()
	marker := rand.Text()
	if err := os.WriteFile(filepath.Join(buildDir, "hello.txt"), []byte("hello "+marker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(buildDir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /hello.txt\nLABEL berth.test=registry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := host + "/berth-test/hello:" + strings.ToLower(marker[:12])
	t.Cleanup(func() { _, _ = docker("", "image", "rm", "-f", ref) })
	if out, err := docker("", "build", "-q", "-t", ref, buildDir); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	idBefore, err := docker("", "image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		t.Fatalf("inspect: %v %s", err, idBefore)
	}
	t.Cleanup(func() { _, _ = docker("", "image", "rm", "-f", strings.TrimSpace(idBefore)) })
	if out, err := docker("", "push", ref); err != nil {
		t.Fatalf("docker push: %v\n%s", err, out)
	}

	imgs, err := reg.Images(context.Background(), "berth-test/hello")
	if err != nil || len(imgs) != 1 {
		t.Fatalf("Images after docker push: %d %v", len(imgs), err)
	}
	tag := ref[strings.LastIndex(ref, ":")+1:]
	if !cmp.Equal(imgs[0].Tags, []string{tag}) || imgs[0].Size <= 0 ||
		imgs[0].MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
		t.Errorf("pushed image = %s", summary(imgs[0]))
	}

	if out, err := docker("", "image", "rm", ref); err != nil {
		t.Fatalf("docker rmi: %v\n%s", err, out)
	}
	if out, err := docker("", "pull", ref); err != nil {
		t.Fatalf("docker pull: %v\n%s", err, out)
	}
	idAfter, err := docker("", "image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil || idAfter != idBefore {
		t.Fatalf("pulled image id %q, pushed %q (%v)", idAfter, idBefore, err)
	}

	// Re-pushing the same image to the immutable tag is fine; a different
	// image under the same tag is refused with ECR's message.
	if out, err := docker("", "push", ref); err != nil {
		t.Fatalf("re-push of the same image: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(buildDir, "hello.txt"), []byte("changed "+marker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changedID, err := docker("", "build", "-q", "-t", ref, buildDir)
	if err != nil {
		t.Fatalf("docker build: %v\n%s", err, changedID)
	}
	t.Cleanup(func() { _, _ = docker("", "image", "rm", "-f", strings.TrimSpace(changedID)) })
	out, err := docker("", "push", ref)
	if err == nil || !strings.Contains(out, "cannot be overwritten because the repository is immutable") {
		t.Fatalf("push over an immutable tag: err=%v\n%s", err, out)
	}

	// The registry's answers to an anonymous client.
	resp, err := http.Get(srv.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET /v2/: %d", resp.StatusCode)
	}
}
