// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"

func TestParseStorage(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	base := s3Defaults()
	with := func(f func(p *storageSpec)) storageSpec {
		s := storageSpec{s3: base}
		f(&s)
		return s
	}
	tests := []struct {
		name, raw string
		want      storageSpec
	}{
		{"bucket only", "s3://images", with(func(s *storageSpec) { s.s3.Bucket, s.s3.Region = "images", "us-east-1" })},
		{"prefix and region", "s3://images/berth/prod/?region=eu-west-1", with(func(s *storageSpec) {
			s.s3.Bucket, s.s3.RootDirectory, s.s3.Region = "images", "/berth/prod", "eu-west-1"
		})},
		{"http endpoint: no TLS, path-style", "s3://images/p?endpoint=http%3A%2F%2F127.0.0.1%3A4566", with(func(s *storageSpec) {
			s.s3.Bucket, s.s3.RootDirectory, s.s3.Region = "images", "/p", "us-east-1"
			s.s3.RegionEndpoint, s.s3.Secure, s.s3.ForcePathStyle = "http://127.0.0.1:4566", false, true
		})},
		{"https endpoint, path-style off", "s3://images?endpoint=https://s3.example.com&path-style=false", with(func(s *storageSpec) {
			s.s3.Bucket, s.s3.Region = "images", "us-east-1"
			s.s3.RegionEndpoint, s.s3.Secure, s.s3.ForcePathStyle = "https://s3.example.com", true, false
		})},
		{"static keys, token, chunk size", "s3://images?access-key=AKIAEXAMPLE&secret-key=" + strings.NewReplacer("/", "%2F", "+", "%2B").Replace(testSecret) +
			"&session-token=tok&chunk-size=5242880", with(func(s *storageSpec) {
			s.s3.Bucket, s.s3.Region = "images", "us-east-1"
			s.s3.AccessKey, s.s3.SecretKey, s.s3.SessionToken, s.s3.ChunkSize = "AKIAEXAMPLE", testSecret, "tok", 5<<20
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStorage(tc.raw, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(storageSpec{})); diff != "" {
				t.Fatalf("parseStorage (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("region from AWS_REGION", func(t *testing.T) {
		t.Setenv("AWS_REGION", "ap-south-1")
		got, err := parseStorage("s3://images", "")
		if err != nil || got.s3.Region != "ap-south-1" {
			t.Fatalf("region %q, %v", got.s3.Region, err)
		}
	})
	t.Run("filesystem", func(t *testing.T) {
		got, err := parseStorage("", "rel/dir")
		want, _ := filepath.Abs("rel/dir")
		if err != nil || got.root != want {
			t.Fatalf("root %q, %v; want %q", got.root, err, want)
		}
	})
}

func TestParseStorage_Errors(t *testing.T) {
	sk := "&secret-key=" + testSecret
	tests := []struct{ name, raw, root, want string }{
		{"filesystem without root", "", "", "RootDir is required"},
		{"other scheme", "gs://images", "", `scheme "gs"`},
		{"no bucket", "s3:///prefix", "", "no bucket"},
		{"user info", "s3://AKIA:" + testSecret + "@images", "", "storage URL is malformed"},
		{"user info, encoded", "s3://AKIA:" + strings.NewReplacer("/", "%2F", "+", "%2B").Replace(testSecret) + "@images", "", "access-key and secret-key parameters"},
		{"unknown parameter", "s3://images?secretkey=" + testSecret, "", `unknown parameter "secretkey"`},
		{"repeated parameter", "s3://images?region=a&region=b", "", `"region" given 2 times`},
		{"bad endpoint", "s3://images?endpoint=127.0.0.1:9000" + sk, "", "endpoint must be an http"},
		{"bad path-style", "s3://images?path-style=maybe", "", "path-style"},
		{"secret without key", "s3://images?x=1" + sk, "", "unknown parameter"},
		{"secret key alone", "s3://images?" + strings.TrimPrefix(sk, "&"), "", "go together"},
		{"token alone", "s3://images?session-token=t", "", "needs access-key"},
		{"chunk too small", "s3://images?chunk-size=1000", "", "chunk-size"},
		{"bad URL", "s3://images/%zz?access-key=a" + sk, "", "storage URL is malformed"},
		{"bucket with a port", "s3://images:9000/p", "", "no bucket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseStorage(tc.raw, tc.root)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "wJalr") {
				t.Fatalf("error quotes the secret key: %v", err)
			}
			// Open refuses it too, before touching anything.
			if _, err := Open(Config{Storage: tc.raw, RootDir: tc.root}, Deps{Guard: newFakeGuard()}); err == nil {
				t.Fatal("Open accepted it")
			}
		})
	}
}

// TestStorage_LogsNoSecret checks that neither the Open log line nor %v
// of the parsed storage holds the secret key or the session token.
func TestStorage_LogsNoSecret(t *testing.T) {
	raw := "s3://images/p?endpoint=http://127.0.0.1:1&access-key=AKIAEXAMPLE&secret-key=" +
		strings.NewReplacer("/", "%2F", "+", "%2B").Replace(testSecret) + "&session-token=SESSIONTOKEN"
	var buf bytes.Buffer
	reg, err := Open(Config{Storage: raw, Logger: slog.New(slog.NewTextHandler(&buf, nil))}, Deps{Guard: newFakeGuard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	st, err := parseStorage(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"log": buf.String(), "%v": fmt.Sprintf("%v", st), "%+v": fmt.Sprintf("%+v", st), "%#v": fmt.Sprintf("%#v", st)} {
		if strings.Contains(s, testSecret) || strings.Contains(s, "SESSIONTOKEN") {
			t.Errorf("%s holds a secret: %s", name, s)
		}
	}
	if !strings.Contains(buf.String(), "bucket=images") || !strings.Contains(buf.String(), "credentials=static") {
		t.Errorf("log line lacks the bucket or the credentials kind: %s", buf.String())
	}
}
