// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/testutil"
)

// ecrDocker runs the docker CLI with its own config directory, so each
// identity has its own `docker login`.
type ecrDocker struct {
	tb     testing.TB
	config string
}

// newECRDocker skips the test unless a Docker Engine answers and the
// docker CLI is installed.
func newECRDocker(tb testing.TB) *ecrDocker {
	tb.Helper()
	agenttest.Docker(tb)
	if _, err := exec.LookPath("docker"); err != nil {
		tb.Skip("the docker CLI is not installed: skipping a test that runs docker login/push/pull")
	}
	return &ecrDocker{tb: tb, config: tb.TempDir()}
}

// as returns a docker CLI with a fresh config directory.
func (d *ecrDocker) as() *ecrDocker { return &ecrDocker{tb: d.tb, config: d.tb.TempDir()} }

// run runs docker with stdin and returns its combined output.
func (d *ecrDocker) run(stdin string, args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+d.config)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (d *ecrDocker) must(args ...string) string {
	d.tb.Helper()
	out, err := d.run("", args...)
	if err != nil {
		d.tb.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// login runs `docker login --username AWS --password-stdin host`.
func (d *ecrDocker) login(host, password string) {
	d.tb.Helper()
	if out, err := d.run(password, "login", "--username", "AWS", "--password-stdin", host); err != nil {
		d.tb.Fatalf("docker login %s: %v\n%s", host, err, out)
	}
}

// imageID returns the local image id of ref.
func (d *ecrDocker) imageID(ref string) string {
	d.tb.Helper()
	return d.must("image", "inspect", "--format", "{{.Id}}", ref)
}

// buildImage builds a FROM-scratch image holding one file of size random
// (incompressible) bytes, tags it ref and removes it when the test ends.
func (d *ecrDocker) buildImage(ref string, size int) {
	d.tb.Helper()
	dir := d.tb.TempDir()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		d.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "payload"), data, 0o644); err != nil {
		d.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY payload /payload\n"), 0o644); err != nil {
		d.tb.Fatal(err)
	}
	d.must("build", "--quiet", "--tag", ref, dir)
	d.removeAtEnd(ref)
	d.removeAtEnd(d.imageID(ref)) // also once the tag has moved to another image
}

// removeAtEnd removes ref (a tag or an id) when the test ends.
func (d *ecrDocker) removeAtEnd(ref string) {
	d.tb.Cleanup(func() { _, _ = d.run("", "image", "rm", "--force", ref) })
}

// ecrAWS runs the AWS CLI against p with env (credentials) and returns
// stdout, failing the test on an error.
func ecrAWS(tb testing.TB, p *testutil.Process, env []string, args ...string) string {
	tb.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		tb.Skip("the AWS CLI (aws) is not installed; .ci/run installs it")
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", p.URL, "--output", "json"}, args...)...)
	var clean []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			clean = append(clean, kv)
		}
	}
	cmd.Env = append(clean, append([]string{"AWS_CONFIG_FILE=/dev/null", "AWS_DEFAULT_REGION=" + testutil.Region, "AWS_PAGER="}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tb.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// ecrRootEnv is the AWS CLI environment of the server's root credentials.
func ecrRootEnv(p *testutil.Process) []string {
	return []string{"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(p.DataDir, "credentials"), "AWS_PROFILE=berth"}
}

// ecrKeyEnv is the AWS CLI environment of an access key.
func ecrKeyEnv(id, secret string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

// ecrUser creates an IAM user with an inline policy and returns the AWS
// CLI environment of a new access key of it.
func ecrUser(t *testing.T, p *testutil.Process, name, policy string) []string {
	t.Helper()
	root := ecrRootEnv(p)
	ecrAWS(t, p, root, "iam", "create-user", "--user-name", name)
	ecrAWS(t, p, root, "iam", "put-user-policy", "--user-name", name, "--policy-name", "ecr", "--policy-document", policy)
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	if err := json.Unmarshal([]byte(ecrAWS(t, p, root, "iam", "create-access-key", "--user-name", name)), &key); err != nil {
		t.Fatal(err)
	}
	return ecrKeyEnv(key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey)
}

// TestECR_DockerPushPull is the registry story end to end with real
// clients: the AWS CLI creates repositories and logs docker in, docker
// pushes and pulls through berth's registry, and IAM and repository
// policies decide who may pull.
func TestECR_DockerPushPull(t *testing.T) {
	dk := newECRDocker(t)
	p := testutil.StartServer(t, t.TempDir(), nil)
	root := ecrRootEnv(p)
	host := p.Addr

	var created struct {
		Repository struct{ RepositoryUri string }
	}
	if err := json.Unmarshal([]byte(ecrAWS(t, p, root, "ecr", "create-repository", "--repository-name", "web")), &created); err != nil {
		t.Fatal(err)
	}
	if created.Repository.RepositoryUri != host+"/web" {
		t.Fatalf("repositoryUri = %s, want %s/web", created.Repository.RepositoryUri, host)
	}
	ref := host + "/web:1"
	dk.buildImage(ref, 64<<10)
	localID := dk.imageID(ref)

	// An unauthenticated push is refused; after docker login it works.
	if out, err := dk.run("", "push", ref); err == nil {
		t.Fatalf("push without login succeeded:\n%s", out)
	}
	dk.login(host, strings.TrimSpace(ecrAWS(t, p, root, "ecr", "get-login-password")))
	dk.must("push", ref)

	var described struct {
		ImageDetails []struct {
			ImageDigest      string
			ImageTags        []string
			ImageSizeInBytes int64
		}
	}
	if err := json.Unmarshal([]byte(ecrAWS(t, p, root, "ecr", "describe-images", "--repository-name", "web")), &described); err != nil {
		t.Fatal(err)
	}
	repoDigest := dk.must("image", "inspect", "--format", "{{index .RepoDigests 0}}", ref)
	if len(described.ImageDetails) != 1 || host+"/web@"+described.ImageDetails[0].ImageDigest != repoDigest ||
		strings.Join(described.ImageDetails[0].ImageTags, ",") != "1" || described.ImageDetails[0].ImageSizeInBytes < 64<<10 {
		t.Fatalf("describe-images = %+v, docker pushed %s", described.ImageDetails, repoDigest)
	}

	dk.must("image", "rm", ref)
	dk.must("pull", ref)
	if id := dk.imageID(ref); id != localID {
		t.Fatalf("pulled image id %s, pushed %s", id, localID)
	}

	// A user whose policy lacks ecr:BatchGetImage logs in but cannot pull.
	noPull := ecrUser(t, p, "nopull", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer"],"Resource":"*"}]}`)
	other := dk.as()
	other.login(host, strings.TrimSpace(ecrAWS(t, p, noPull, "ecr", "get-login-password")))
	dk.must("image", "rm", ref)
	out, err := other.run("", "pull", ref)
	if err == nil || !strings.Contains(strings.ToLower(out), "denied") {
		t.Fatalf("pull without ecr:BatchGetImage: err %v, output:\n%s", err, out)
	}

	// A user allowed to pull can, until a repository policy denies it.
	puller := ecrUser(t, p, "puller", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"*"}]}`)
	third := dk.as()
	third.login(host, strings.TrimSpace(ecrAWS(t, p, puller, "ecr", "get-login-password")))
	third.must("pull", ref)
	dk.must("image", "rm", ref)
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoPuller","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + testutil.AccountID + `:user/puller"},"Action":"ecr:BatchGetImage"}]}`
	ecrAWS(t, p, root, "ecr", "set-repository-policy", "--repository-name", "web", "--policy-text", deny)
	out, err = third.run("", "pull", ref)
	if err == nil || !strings.Contains(strings.ToLower(out), "denied") {
		t.Fatalf("pull under a denying repository policy: err %v, output:\n%s", err, out)
	}

	// An immutable repository refuses to move a tag to new content.
	ecrAWS(t, p, root, "ecr", "create-repository", "--repository-name", "locked", "--image-tag-mutability", "IMMUTABLE")
	lref := host + "/locked:1"
	dk.buildImage(lref, 1<<10)
	dk.must("push", lref)
	dk.buildImage(lref, 2<<10) // new content under the same tag
	out, err = dk.run("", "push", lref)
	if err == nil || !strings.Contains(out, "cannot be overwritten because the repository is immutable") {
		t.Fatalf("re-push to an immutable tag: err %v, output:\n%s", err, out)
	}
	if out := ecrAWS(t, p, root, "ecr", "list-images", "--repository-name", "locked"); strings.Count(out, "imageDigest") != 1 {
		t.Fatalf("the refused push changed the repository: %s", out)
	}
}

// BenchmarkECR_DockerPull50MiB compares `docker pull` of an image with one
// 50 MiB incompressible layer from berth's registry with `docker load` of
// the same image saved by `docker save`; it reports both as pull_s and
// load_s (seconds per operation).
func BenchmarkECR_DockerPull50MiB(b *testing.B) {
	dk := newECRDocker(b)
	p := testutil.StartServer(b, b.TempDir(), nil)
	root := ecrRootEnv(p)
	ecrAWS(b, p, root, "ecr", "create-repository", "--repository-name", "bench")
	ref := p.Addr + "/bench:50mib"
	dk.buildImage(ref, 50<<20)
	dk.login(p.Addr, strings.TrimSpace(ecrAWS(b, p, root, "ecr", "get-login-password")))
	dk.must("push", ref)
	tarball := filepath.Join(b.TempDir(), "image.tar")
	dk.must("save", "--output", tarball, ref)

	var pull, load time.Duration
	b.ResetTimer()
	for range b.N {
		dk.must("image", "rm", ref)
		start := time.Now()
		dk.must("pull", ref)
		pull += time.Since(start)

		dk.must("image", "rm", ref)
		start = time.Now()
		dk.must("load", "--quiet", "--input", tarball)
		load += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(pull.Seconds()/float64(b.N), "pull_s/op")
	b.ReportMetric(load.Seconds()/float64(b.N), "load_s/op")
}
