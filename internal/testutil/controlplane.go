// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package testutil

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/controlplane"
	"github.com/berthdev/berth/internal/sdkhttp"
)

// Region and AccountID are the defaults test control planes serve.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// ControlPlane is a running in-process control plane.
type ControlPlane struct {
	*controlplane.Server
	// URL is the endpoint for SDK clients: http://127.0.0.1:PORT.
	URL     string
	DataDir string
}

// Option adjusts a test control plane's configuration.
type Option func(*controlplane.Config)

// WithTestMode enables the reset endpoints.
func WithTestMode() Option { return func(c *controlplane.Config) { c.TestMode = true } }

// WithAuthMode sets --auth.
func WithAuthMode(mode string) Option { return func(c *controlplane.Config) { c.AuthMode = mode } }

// WithDataDir runs on dir instead of a fresh temporary directory.
func WithDataDir(dir string) Option { return func(c *controlplane.Config) { c.DataDir = dir } }

// TestControlPlane starts a control plane on a loopback port with a fresh
// data directory and stops it when the test ends.
func TestControlPlane(t testing.TB, opts ...Option) *ControlPlane {
	t.Helper()
	cfg := controlplane.Config{
		Listen:    "127.0.0.1:0",
		DataDir:   t.TempDir(),
		Region:    Region,
		AccountID: AccountID,
		AuthMode:  "sigv4",
	}
	for _, o := range opts {
		o(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("BERTH_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := controlplane.New(cfg, controlplane.Deps{Logger: logger})
	if err != nil {
		t.Fatalf("controlplane.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("controlplane.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("controlplane.Close: %v", err)
		}
	})
	return &ControlPlane{Server: srv, URL: "http://" + srv.Addr(), DataDir: cfg.DataDir}
}

// RootConfig returns an aws-sdk-go-v2 configuration signed with the root key.
func (cp *ControlPlane) RootConfig() aws.Config {
	id, secret := cp.RootCredentials()
	return Config(cp.URL, id, secret, "")
}

// User creates the IAM user name, with policy as its inline policy "p"
// (none when policy is ""), and an access key, and returns a configuration
// signed with that key.
func (cp *ControlPlane) User(t testing.TB, name, policy string) aws.Config {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(cp.RootConfig())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if policy != "" {
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatalf("PutUserPolicy %s: %v", name, err)
		}
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return Config(cp.URL, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
}

// Config returns an aws-sdk-go-v2 configuration for endpoint with static
// credentials, retries off so tests see every error as it is.
func Config(endpoint, id, secret, token string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
		HTTPClient:   sdkhttp.Client(nil), // see package sdkhttp: retries are off here
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}
