// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

// writePattern writes n deterministic pseudo-random bytes to path one
// 1 MiB block at a time and returns their SHA-256, computed while
// generating.
func writePattern(t *testing.T, path string, n int64, seed uint64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	block := make([]byte, 1<<20)
	state := seed | 1
	for n > 0 {
		for i := 0; i < len(block); i += 8 {
			state ^= state << 13
			state ^= state >> 7
			state ^= state << 17
			binary.LittleEndian.PutUint64(block[i:], state)
		}
		k := min(n, int64(len(block)))
		if _, err := w.Write(block[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tree maps the relative paths of the files under dir to their SHA-256.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = fileSHA256(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCLI_S3 drives the AWS CLI's high-level S3 commands against the
// berth binary: mb, cp of a 100 MiB file up and down (multipart with the
// CLI's checksums), sync both ways, ls, rb --force.
func TestCLI_S3(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 100 MiB through the AWS CLI")
	}
	dir := t.TempDir()
	srv := testutil.StartServer(t, filepath.Join(dir, "data"), nil)
	aws := newCLI(t, srv)
	work := t.TempDir()

	aws.must(nil, "s3", "mb", "s3://cli-bucket")
	var buckets struct{ Buckets []struct{ Name string } }
	aws.must(&buckets, "s3api", "list-buckets")
	if len(buckets.Buckets) != 1 || buckets.Buckets[0].Name != "cli-bucket" {
		t.Fatalf("list-buckets = %+v", buckets.Buckets)
	}
	aws.mustFail("BucketAlreadyOwnedByYou", "s3api", "create-bucket", "--bucket", "cli-bucket",
		"--region", "eu-west-1", "--create-bucket-configuration", "LocationConstraint=eu-west-1")

	// cp up and down: 100 MiB, so the CLI uploads in parts and downloads
	// with ranged GETs.
	big := filepath.Join(work, "big.bin")
	want := writePattern(t, big, 100<<20, 7)
	aws.must(nil, "s3", "cp", big, "s3://cli-bucket/data/big.bin")
	var head struct {
		ContentLength int64
		ETag          string
	}
	aws.must(&head, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "data/big.bin")
	if head.ContentLength != 100<<20 || !strings.Contains(head.ETag, "-") {
		t.Errorf("head-object = %+v, want 100 MiB with a multipart ETag", head)
	}
	down := filepath.Join(work, "down.bin")
	aws.must(nil, "s3", "cp", "s3://cli-bucket/data/big.bin", down)
	if got := fileSHA256(t, down); got != want {
		t.Fatalf("downloaded SHA-256 %s, uploaded %s", got, want)
	}

	// sync a directory up, change it, sync again, then sync it down.
	src := filepath.Join(work, "site")
	files := map[string]string{"index.html": "<h1>hi</h1>", "css/site.css": "body{}", "img/a b.txt": "space", "deep/x/y/z.txt": "zzz"}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	aws.must(nil, "s3", "sync", src, "s3://cli-bucket/site/")
	if err := os.WriteFile(filepath.Join(src, "index.html"), []byte("<h1>changed</h1>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(src, "css", "site.css")); err != nil {
		t.Fatal(err)
	}
	out, errs, ok := aws.run("s3", "sync", src, "s3://cli-bucket/site/", "--delete")
	if !ok || !strings.Contains(out, "upload: ") || !strings.Contains(out, "delete: s3://cli-bucket/site/css/site.css") {
		t.Fatalf("second sync: ok %v\n%s\n%s", ok, out, errs)
	}
	if strings.Contains(out, "img/a b.txt") {
		t.Errorf("second sync re-uploaded an unchanged file:\n%s", out)
	}
	back := filepath.Join(work, "back")
	aws.must(nil, "s3", "sync", "s3://cli-bucket/site/", back)
	if diff := cmp.Diff(tree(t, src), tree(t, back)); diff != "" {
		t.Errorf("synced tree (-local +downloaded):\n%s", diff)
	}

	// ls: top level, then recursive.
	top, errs, ok := aws.run("s3", "ls", "s3://cli-bucket/")
	if !ok || !strings.Contains(top, "PRE data/") || !strings.Contains(top, "PRE site/") {
		t.Errorf("s3 ls: ok %v\n%s\n%s", ok, top, errs)
	}
	rec, _, ok := aws.run("s3", "ls", "s3://cli-bucket/", "--recursive")
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(rec), "\n") {
		if f := strings.Fields(line); len(f) >= 4 {
			keys = append(keys, strings.Join(f[3:], " "))
		}
	}
	sort.Strings(keys)
	wantKeys := []string{"data/big.bin", "site/deep/x/y/z.txt", "site/img/a b.txt", "site/index.html"}
	if !ok || !cmp.Equal(wantKeys, keys) {
		t.Errorf("s3 ls --recursive keys = %q, want %q", keys, wantKeys)
	}
	all, _, _ := aws.run("s3", "ls")
	if !strings.Contains(all, "cli-bucket") {
		t.Errorf("s3 ls = %q", all)
	}

	// rb --force empties the bucket first.
	aws.mustFail("BucketNotEmpty", "s3api", "delete-bucket", "--bucket", "cli-bucket")
	aws.must(nil, "s3", "rb", "s3://cli-bucket", "--force")
	var after struct{ Buckets []json.RawMessage }
	aws.must(&after, "s3api", "list-buckets")
	if len(after.Buckets) != 0 {
		t.Errorf("buckets after rb: %d", len(after.Buckets))
	}
	// Nothing is left in the blob store once the bucket is gone.
	n := 0
	_ = filepath.WalkDir(filepath.Join(dir, "data", "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	if n != 0 {
		t.Errorf("%d blob files left after rb --force", n)
	}
}
