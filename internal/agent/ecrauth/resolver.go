// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecrauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/logkey"
)

// DefaultMargin is how long before its expiresAt a cached token is
// replaced.
const DefaultMargin = 15 * time.Minute

// fetchTimeout bounds one GetAuthorizationToken call (it runs detached
// from the pull that started it, since other pulls may wait on it).
const fetchTimeout = 30 * time.Second

// Config configures a Resolver.
type Config struct {
	// Endpoint is used when a container's ECRAuthData has no
	// endpointOverride (the agent's control plane); empty means AWS's
	// https://api.ecr.<region>.amazonaws.com.
	Endpoint string
	// Margin is how long before expiresAt a token stops being reused;
	// 0 means DefaultMargin.
	Margin time.Duration
}

// Deps are a Resolver's collaborators.
type Deps struct {
	// InstanceCredentials are the instance role's (the agent's own
	// aws.Config Credentials). Required.
	InstanceCredentials aws.CredentialsProvider
	// InstanceRoleARN returns the instance role's ARN (the metadata
	// service knows it); it keys the token cache, so tokens fetched
	// before the instance profile's role changed are not reused. Nil
	// keys every instance-role token alike.
	InstanceRoleARN func(ctx context.Context) (string, error)
	// HTTPClient calls ECR; nil means a client with a 30s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Resolver is a taskrunner.AuthResolver for ECR. It is safe for
// concurrent use.
type Resolver struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	mu       sync.Mutex
	cache    map[cacheKey]token
	inflight map[cacheKey]*call
}

var _ taskrunner.AuthResolver = (*Resolver)(nil)

type cacheKey struct {
	registry, region, endpoint string
	// who is "instance-role[:<role ARN>]" or "execution:<credentials id>".
	who string
}

type call struct {
	done    chan struct{}
	waiters int // callers waiting on it (under Resolver.mu)
	tok     token
	err     error
}

// New returns a Resolver.
func New(cfg Config, deps Deps) (*Resolver, error) {
	if deps.InstanceCredentials == nil {
		return nil, errors.New("ecrauth: New needs the instance role's credentials provider")
	}
	if cfg.Margin <= 0 {
		cfg.Margin = DefaultMargin
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Resolver{cfg: cfg, deps: deps, log: log.With(logkey.Service, "ecrauth"),
		cache: map[cacheKey]token{}, inflight: map[cacheKey]*call{}}, nil
}

// RegistryAuth implements taskrunner.AuthResolver. A container without
// registry authentication gets nil; a type other than ecr is an error.
func (r *Resolver) RegistryAuth(ctx context.Context, t *taskrunner.Task, c *taskrunner.Container) (*docker.RegistryAuth, error) {
	ra := c.RegistryAuthentication
	if ra == nil {
		return nil, nil
	}
	if ra.Type != "ecr" || ra.ECR == nil {
		return nil, fmt.Errorf("ecrauth: registry authentication type %q is not supported (ecr)", ra.Type)
	}
	d := ra.ECR
	key := cacheKey{registry: d.RegistryID, region: d.Region, endpoint: d.EndpointOverride, who: "instance-role"}
	if f := r.deps.InstanceRoleARN; f != nil && !d.UseExecutionRole {
		if arn, err := f(ctx); err == nil && arn != "" {
			key.who = "instance-role:" + arn
		}
	}
	if key.endpoint == "" {
		key.endpoint = r.cfg.Endpoint
	}
	if key.endpoint == "" {
		key.endpoint = "https://api.ecr." + d.Region + ".amazonaws.com"
	}
	who := "instance role"
	var provider aws.CredentialsProvider = r.deps.InstanceCredentials
	if d.UseExecutionRole {
		ex := t.ExecutionRoleCredentials
		if ex == nil || ex.CredentialsID == "" {
			return nil, errors.New("ecrauth: the task uses its execution role for ECR but has no execution role credentials")
		}
		if ex.Pending() {
			return nil, fmt.Errorf("ecrauth: the execution role credentials of task %s have not arrived from the control plane yet", t.ARN)
		}
		key.who = "execution:" + ex.CredentialsID
		who = "task execution role " + ex.RoleARN
		provider = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: ex.AccessKeyID, SecretAccessKey: ex.SecretAccessKey, SessionToken: ex.SessionToken,
				Source: "TaskExecutionRole"}, nil
		})
	}
	tok, err := r.token(ctx, key, provider)
	if err != nil {
		return nil, fmt.Errorf("ecr:GetAuthorizationToken as the %s: %w", who, err)
	}
	return &docker.RegistryAuth{Username: tok.username, Password: tok.password, ServerAddress: tok.serverAddress}, nil
}

// token returns a cached token for key or fetches one, sharing a fetch
// already in flight.
func (r *Resolver) token(ctx context.Context, key cacheKey, provider aws.CredentialsProvider) (token, error) {
	r.mu.Lock()
	if tok, ok := r.cache[key]; ok {
		if r.deps.Now().Add(r.cfg.Margin).Before(tok.expiresAt) {
			r.mu.Unlock()
			return tok, nil
		}
		delete(r.cache, key)
	}
	c := r.inflight[key]
	if c == nil {
		c = &call{done: make(chan struct{})}
		r.inflight[key] = c
		go r.fetch(context.WithoutCancel(ctx), key, provider, c)
	}
	c.waiters++
	r.mu.Unlock()
	select {
	case <-c.done:
		return c.tok, c.err
	case <-ctx.Done():
		return token{}, ctx.Err()
	}
}

func (r *Resolver) fetch(ctx context.Context, key cacheKey, provider aws.CredentialsProvider, c *call) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	c.tok, c.err = r.fetchOnce(ctx, key, provider)
	r.mu.Lock()
	delete(r.inflight, key)
	if c.err == nil && r.deps.Now().Add(r.cfg.Margin).Before(c.tok.expiresAt) {
		r.cache[key] = c.tok
	}
	r.mu.Unlock()
	close(c.done)
	if c.err != nil {
		r.log.Warn("ECR authorization token", "registry", key.registry, "region", key.region, "endpoint", key.endpoint,
			"credentials", key.who, logkey.Err, c.err)
		return
	}
	r.log.Info("ECR authorization token fetched", "registry", key.registry, "region", key.region,
		"credentials", key.who, "proxy", c.tok.serverAddress, "expires_at", c.tok.expiresAt.UTC())
}

// fetchOnce calls GetAuthorizationToken (the SDK retries throttling,
// server errors and transport failures; a denial is not retried).
func (r *Resolver) fetchOnce(ctx context.Context, key cacheKey, provider aws.CredentialsProvider) (token, error) {
	return getAuthorizationToken(ctx, r.deps.HTTPClient, key.endpoint, key.region, provider)
}
