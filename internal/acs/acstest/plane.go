// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acstest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berthdev/berth/internal/acs"
	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/protocol"
	"github.com/berthdev/berth/internal/sdkhttp"
	"github.com/berthdev/berth/internal/sigv4"
)

// The identity agents sign with, and where the plane lives.
const (
	Region      = "us-east-1"
	Account     = "123456789012"
	AgentKeyID  = "AKIAAGENTAGENTAGENT1"
	AgentSecret = "agent-secret-agent-secret-agent-secret00"
	// AgentARN is the principal AgentKeyID authenticates as.
	AgentARN = "arn:aws:sts::123456789012:assumed-role/ecsInstanceRole/i-0123456789abcdef0"
)

// Authorizer allows what Allow says (everything when nil) and records
// every request.
type Authorizer struct {
	mu    sync.Mutex
	Allow func(authz.Request) bool
	reqs  []authz.Request
}

// Authorize implements authz.Authorizer.
func (a *Authorizer) Authorize(_ context.Context, req authz.Request) (authz.Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = append(a.reqs, req)
	if a.Allow == nil || a.Allow(req) {
		return authz.Decision{Allowed: true}, nil
	}
	res := "*"
	if len(req.Resources) > 0 {
		res = req.Resources[0]
	}
	return authz.Decision{Message: authz.DenyMessage(req.Principal, req.Action, res, "because no identity-based policy allows the "+req.Action+" action")}, nil
}

// SetAllow replaces the decision function.
func (a *Authorizer) SetAllow(fn func(authz.Request) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Allow = fn
}

// Requests returns the requests seen so far.
func (a *Authorizer) Requests() []authz.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]authz.Request(nil), a.reqs...)
}

// authn verifies SigV4 with the one agent key.
type authn struct{ v *sigv4.Verifier }

func (a authn) Authenticate(r *http.Request, body []byte, _ *awsapi.Service) (*principal.Principal, error) {
	res, err := a.v.Verify(r.Context(), r, body)
	if err != nil {
		return nil, sigv4.AWSError(err, sigv4.FamilyJSON)
	}
	return res.Principal.(*principal.Principal), nil
}

// Options configure a Plane.
type Options struct {
	Config acs.Config
	// Roles and Keys are passed to the ACS server.
	Roles acs.RoleAssumer
	Keys  acs.KeySource
}

// Plane is the ACS and TCS servers and the fake ECS API behind the real
// gateway on a loopback port.
type Plane struct {
	URL     string
	Server  *acs.Server
	Backend *Backend
	Authz   *Authorizer
	ECS     *ECS

	mu     sync.Mutex
	bodies map[string][]byte // last request body per X-Amz-Target
}

// Logger discards logs unless BERTH_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("BERTH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// NewPlane starts a Plane and stops it when the test ends.
func NewPlane(t testing.TB, opts Options) *Plane {
	t.Helper()
	p := &Plane{Backend: NewBackend(), Authz: &Authorizer{}, bodies: map[string][]byte{}}
	p.ECS = newECS(p.Backend)
	srv, err := acs.New(opts.Config, acs.Deps{Backend: p.Backend, Authz: p.Authz, Roles: opts.Roles, Keys: opts.Keys, Logger: Logger()})
	if err != nil {
		t.Fatal(err)
	}
	p.Server = srv
	agent := &principal.Principal{Kind: principal.AssumedRole, AccountID: Account, ARN: AgentARN,
		RoleARN: "arn:aws:iam::123456789012:role/ecsInstanceRole", TokenIssueTime: time.Now()}
	verifier := sigv4.New(sigv4.Config{Lookup: sigv4.LookupFunc(func(_ context.Context, id string) (sigv4.Credential, error) {
		if id != AgentKeyID {
			return sigv4.Credential{}, sigv4.ErrUnknownAccessKey
		}
		return sigv4.Credential{SecretAccessKey: AgentSecret, Principal: agent}, nil
	})})
	gw, err := gateway.New(gateway.Config{Region: Region, AccountID: Account}, gateway.Deps{
		Endpoints: []gateway.Endpoint{{Def: ecsapi.Definition, API: p.ECS, Codec: protocol.For(ecsapi.Definition)}},
		Authn:     authn{verifier},
		Authz:     p.Authz,
		Streams: []gateway.Stream{
			{Prefix: "/acs/", Service: ecsapi.Definition, Handler: srv.ACS()},
			{Prefix: "/tcs/", Service: ecsapi.Definition, Handler: srv.TCS()},
		},
		Logger: Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if target := r.Header.Get("X-Amz-Target"); target != "" && r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			p.mu.Lock()
			p.bodies[target] = b
			p.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		gw.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("acs Close: %v", err)
		}
		hs.Close()
	})
	p.URL = hs.URL
	return p
}

// AWSConfig returns an aws-sdk-go-v2 configuration signing as the agent
// (secret overrides the agent's secret when not empty), retries off.
func (p *Plane) AWSConfig(secret string) aws.Config {
	if secret == "" {
		secret = AgentSecret
	}
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AgentKeyID, secret, ""),
		HTTPClient:  sdkhttp.Client(nil),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// LastBody returns the last raw body sent with an X-Amz-Target, e.g.
// "AmazonEC2ContainerServiceV20141113.RegisterContainerInstance".
func (p *Plane) LastBody(target string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies[target]
}
