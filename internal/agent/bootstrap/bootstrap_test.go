// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berthdev/berth/internal/agent/bootstrap"
	"github.com/berthdev/berth/internal/agent/config"
	"github.com/berthdev/berth/internal/testutil"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in      string
		want    bootstrap.Location
		wantErr bool
	}{
		{"s3://cfg/ecs.config", bootstrap.Location{Bucket: "cfg", Key: "ecs.config"}, false},
		{"s3://cfg/hosts/a/ecs.config", bootstrap.Location{Bucket: "cfg", Key: "hosts/a/ecs.config"}, false},
		{"s3://cfg", bootstrap.Location{}, true},
		{"s3://cfg/", bootstrap.Location{}, true},
		{"/etc/ecs/ecs.config", bootstrap.Location{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := bootstrap.ParseLocation(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseLocation(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// s3env is a control plane with a bucket holding objects, and two IAM
// users: reader (AmazonS3ReadOnlyAccess) and nobody (no policy).
type s3env struct {
	cp            *testutil.ControlPlane
	reader, other aws.Config
}

func newS3Env(t *testing.T, objects map[string]string) *s3env {
	t.Helper()
	cp := testutil.TestControlPlane(t)
	root := cp.RootConfig()
	ctx := context.Background()
	s3c := s3.NewFromConfig(root, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cfg")}); err != nil {
		t.Fatal(err)
	}
	for k, v := range objects {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfg"), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	ic := iam.NewFromConfig(root)
	user := func(name, policy string) aws.Config {
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if policy != "" {
			if _, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(policy)}); err != nil {
				t.Fatal(err)
			}
		}
		k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		cfg := testutil.Config(cp.URL, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
		cfg.BaseEndpoint = nil // Load must set the endpoint itself
		return cfg
	}
	return &s3env{cp: cp, reader: user("reader", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"), other: user("nobody", "")}
}

func startSettings(t *testing.T, endpoint string, environ []string) config.Config {
	t.Helper()
	s, err := config.Load("", append([]string{"ECS_BACKEND_HOST=" + endpoint, "ECS_DATADIR=/var/lib/test-agent"}, environ...))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoad_ControlPlane(t *testing.T) {
	e := newS3Env(t, map[string]string{
		"ecs.config":   "# berth\nECS_CLUSTER=prod\nECS_INSTANCE_ATTRIBUTES={\"stack\":\"blue\"}\nECS_RESERVED_MEMORY=256\nECS_ENABLE_TASK_ENI=true\n",
		"bad.config":   "ECS_CLUSTER=prod\nECS_RESERVED_MEMORY=lots\n",
		"junk.config":  "ECS_CLUSTER=prod\nthis is not an assignment\n",
		"early.config": "ECS_CLUSTER=prod\nECS_DATADIR=/elsewhere\nBERTH_IMDS_ADDR=127.0.0.1:1\n",
	})
	ctx := context.Background()
	base := []string{"ECS_BACKEND_HOST=" + e.cp.URL, "ECS_DATADIR=/var/lib/test-agent"}
	load := func(cfg aws.Config, key string, environ ...string) (config.Config, error) {
		env := append(append([]string{}, base...), environ...)
		return bootstrap.Load(ctx, bootstrap.Config{Location: bootstrap.Location{Bucket: "cfg", Key: key}, Environ: env},
			bootstrap.Deps{AWS: cfg, Endpoint: e.cp.URL}, startSettings(t, e.cp.URL, environ))
	}

	t.Run("Allowed", func(t *testing.T) {
		s, err := load(e.reader, "ecs.config")
		if err != nil {
			t.Fatal(err)
		}
		if s.Cluster != "prod" || s.InstanceAttributes["stack"] != "blue" || s.ReservedMemoryMiB != 256 || s.BackendHost != e.cp.URL {
			t.Errorf("settings from the object: cluster %q attributes %v reserved %d backend %q", s.Cluster, s.InstanceAttributes, s.ReservedMemoryMiB, s.BackendHost)
		}
		if fmt.Sprint(s.Ignored) != "[ECS_ENABLE_TASK_ENI]" {
			t.Errorf("ignored keys %v", s.Ignored)
		}
	})
	t.Run("EnvironmentOverridesObject", func(t *testing.T) {
		s, err := load(e.reader, "ecs.config", "ECS_CLUSTER=staging")
		if err != nil {
			t.Fatal(err)
		}
		if s.Cluster != "staging" || s.ReservedMemoryMiB != 256 {
			t.Errorf("cluster %q reserved %d, want staging (environment) and 256 (object)", s.Cluster, s.ReservedMemoryMiB)
		}
	})
	t.Run("Denied", func(t *testing.T) {
		_, err := load(e.other, "ecs.config")
		var de *bootstrap.DeniedError
		if !errors.As(err, &de) {
			t.Fatalf("err = %v, want a DeniedError", err)
		}
		for _, want := range []string{"s3:GetObject", "s3://cfg/ecs.config", "AccessDenied", "not authorized"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
	tests := []struct{ name, key, want string }{
		{"InvalidValue", "bad.config", "ECS_RESERVED_MEMORY"},
		{"MalformedLine", "junk.config", "want KEY=VALUE"},
		{"EarlyKeys", "early.config", "sets BERTH_IMDS_ADDR, which the agent uses before"}, // ECS_DATADIR: the environment wins
		{"Missing", "nope.config", "NoSuchKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := load(e.reader, tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load %s = cluster %q, %v; want an error containing %q", tc.key, s.Cluster, err, tc.want)
			}
		})
	}
}

// TestFetch_Truncated serves objects whose bodies do not match their
// headers: both must fail, never yield part of a configuration.
func TestFetch_Truncated(t *testing.T) {
	const full = "ECS_CLUSTER=prod\nECS_RESERVED_MEMORY=256\n"
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"ShortBody", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(full)))
			w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(full[:17])) // the connection closes after half of it
		}, "incomplete"},
		{"ETagMismatch", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
			_, _ = w.Write([]byte(full[:17]))
		}, "does not match its ETag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			cfg := testutil.Config(srv.URL, "AKIDEXAMPLE", "secret", "")
			_, err := bootstrap.Load(context.Background(), bootstrap.Config{Location: bootstrap.Location{Bucket: "cfg", Key: "ecs.config"},
				Environ: []string{"ECS_BACKEND_HOST=" + srv.URL}}, bootstrap.Deps{AWS: cfg, Endpoint: srv.URL}, startSettings(t, srv.URL, nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
