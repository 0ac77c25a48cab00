// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// CredentialsProfile is the profile of the control plane's root
// credentials file.
const CredentialsProfile = "berth"

// AWSOptions say where a fleet's credentials come from and how its HTTP
// client is sized.
type AWSOptions struct {
	Region string
	// Profile names a shared-config profile; when empty, keys in the
	// environment are used, else CredentialsFile (profile "berth").
	Profile         string
	CredentialsFile string
	// MaxConns bounds idle connections to the control plane (256).
	MaxConns int
}

// LoadAWSConfig builds the configuration every simulated instance signs
// with: one HTTP connection pool, retries without a client-side retry
// quota (a fleet retries a lot under load) and no instance metadata
// lookups.
func LoadAWSConfig(ctx context.Context, o AWSOptions) (aws.Config, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = 256
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(o.Region),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithHTTPClient(httpClient(o.MaxConns)),
		config.WithRetryer(retryer),
	}
	switch {
	case o.Profile != "":
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
		if o.CredentialsFile != "" {
			opts = append(opts, config.WithSharedCredentialsFiles([]string{o.CredentialsFile}))
		}
	case os.Getenv("AWS_ACCESS_KEY_ID") != "":
	case o.CredentialsFile != "":
		if _, err := os.Stat(o.CredentialsFile); err != nil {
			return aws.Config{}, fmt.Errorf("simagent: no credentials: set --profile, AWS_ACCESS_KEY_ID or a readable credentials file: %w", err)
		}
		opts = append(opts, config.WithSharedCredentialsFiles([]string{o.CredentialsFile}), config.WithSharedConfigProfile(CredentialsProfile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("simagent: aws config: %w", err)
	}
	return cfg, nil
}

// StaticAWSConfig returns a configuration signing with a static key, with
// the same HTTP pool and retries as LoadAWSConfig: for benchmarks and
// tests that hold the key already.
func StaticAWSConfig(region, accessKeyID, secret string, maxConns int) aws.Config {
	if maxConns <= 0 {
		maxConns = 256
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(accessKeyID, secret, "")),
		HTTPClient:  httpClient(maxConns),
		Retryer:     retryer,
	}
}

// httpClient keeps up to maxConns idle connections to the control plane,
// so concurrent calls reuse them instead of churning through ports.
func httpClient(maxConns int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = maxConns
		tr.MaxIdleConnsPerHost = maxConns
	})
}

// retryer retries without the client-side retry quota: under load a
// fleet sees many throttling answers and must keep retrying.
func retryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.RateLimiter = ratelimit.None
		so.MaxAttempts = 8
	})
}
