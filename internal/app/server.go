// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package app

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/controlplane"
	"github.com/berthdev/berth/internal/logkey"
)

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("server", "Run the berth control plane: IAM, STS, ECS, ECR, CloudWatch Logs and S3 on one port.", stdout)
	var cfg controlplane.Config
	var endpoints, logLevel, logFormat string
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:4566", "`address` to serve every AWS API on")
	fs.StringVar(&cfg.DataDir, "data-dir", defaultDataDir(), "`directory` for the embedded store, blobs and the root credentials file")
	fs.StringVar(&cfg.Region, "region", "us-east-1", "AWS `region` this control plane serves")
	fs.StringVar(&cfg.AccountID, "account-id", "000000000000", "12-digit AWS account `id` of the account")
	fs.StringVar(&endpoints, "etcd-endpoints", "", "comma-separated `URLs` of an external etcd cluster; empty runs an embedded single-member etcd in the data dir")
	fs.StringVar(&cfg.AuthMode, "auth", "sigv4", "authentication `mode`: sigv4 verifies every signature; open accepts any well-formed signature as the account's administrator (for clients that sign with dummy keys)")
	fs.StringVar(&cfg.RegistryHost, "registry-host", "", "`host[:port]` docker reaches the registry at, used in ECR repository URIs and proxy endpoints; empty means the listen address (docker allows plain HTTP only to 127.0.0.0/8 unless the host is in its insecure-registries)")
	fs.BoolVar(&cfg.RequireIdentityDocument, "require-identity-document", false, "refuse RegisterContainerInstance without a signed instance identity document (berth agents always send one; simulated agents do not)")
	fs.StringVar(&cfg.RegistryStorage, "registry-storage", "", "`URL` of the registry's image storage: empty is DATA_DIR/registry; s3://bucket/prefix?region=R&endpoint=http://host:port&path-style=true is an S3-compatible bucket, with credentials from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY…) or access-key and secret-key parameters")
	fs.BoolVar(&cfg.TestMode, "test-mode", false, "enable POST /_berth/reset and POST /moto-api/reset, which wipe all state except the root key")
	fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&logFormat, "log-format", "text", "log `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		return err
	}
	if endpoints != "" {
		cfg.EtcdEndpoints = strings.Split(endpoints, ",")
	}
	srv, err := controlplane.New(cfg, controlplane.Deps{Logger: logger})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	logger.Info("berth ready", logkey.Addr, "http://"+srv.Addr(), logkey.DataDir, cfg.DataDir,
		"credentials", srv.CredentialsFile())
	<-ctx.Done()
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Close(shutdownCtx)
}
