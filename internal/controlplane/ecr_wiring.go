// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/reqctx"
	ecrsvc "github.com/berthdev/berth/internal/service/ecr"
	"github.com/berthdev/berth/internal/sigv4"
)

// ecrWiring is the ECR service and the OCI registry behind it, with the
// pieces the control plane plugs in elsewhere: the gateway endpoint, the
// repository policies and the /v2/ handler.
type ecrWiring struct {
	svc *ecrsvc.Service
	reg *registry.Registry
}

// buildECR opens the registry's storage (DATA_DIR/registry, or the bucket
// Config.RegistryStorage names) and builds the ECR service on it. It runs
// before the policy engine and STS exist: the registry's Guard and the
// service's Keys look them up when asked.
func (s *Server) buildECR() (*ecrWiring, error) {
	w := &ecrWiring{}
	reg, err := registry.Open(registry.Config{
		RootDir: filepath.Join(s.cfg.DataDir, "registry"), Storage: s.cfg.RegistryStorage,
		Logger: s.log.With("component", "registry"),
	}, registry.Deps{Guard: registryGuard{s: s, w: w}})
	if err != nil {
		return nil, err
	}
	w.reg = reg
	// The context bounds only the initial fill of the ECR table caches.
	svc, err := ecrsvc.New(context.Background(),
		ecrsvc.Config{AccountID: s.cfg.AccountID, Region: s.cfg.Region, RegistryHost: s.registryHost, Clock: s.deps.Clock},
		ecrsvc.Deps{Store: s.store, Images: registryImages{reg}, Keys: ecrKeys{s}, Logger: s.log.With("service", "ecr")})
	if err != nil {
		_ = reg.Close()
		return nil, err
	}
	w.svc = svc
	s.ecr, s.registry = svc, reg
	return w, nil
}

// endpoint serves the ECR API; the service names its own IAM targets.
func (w *ecrWiring) endpoint() gateway.Endpoint {
	ep := endpoint(ecrapi.Definition, w.svc)
	ep.Describer = w.svc
	return ep
}

// policies makes repository policies resource-based policies of the
// repository ARNs.
func (w *ecrWiring) policies() authz.ResourcePolicySource { return repositoryPolicies{w.svc} }

// registryHost is the host[:port] docker reaches the registry at: the
// configured RegistryHost, else the address the server listens on (an
// unspecified IP replaced by 127.0.0.1).
func (s *Server) registryHost() string {
	if s.cfg.RegistryHost != "" {
		return s.cfg.RegistryHost
	}
	addr := s.cfg.Listen
	if s.ln != nil {
		addr = s.ln.Addr().String()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// registryHosts are the registry hosts the ACS renderer treats as this
// control plane's registry besides the host agents reach it at.
func (s *Server) registryHosts() []string {
	if h := s.registryHost(); !strings.HasSuffix(h, ":0") {
		return []string{h}
	}
	return nil
}

// withRegistry sends registry requests to the registry and everything else
// to next. A registry request has the path /v2 or /v2/... and no SigV4
// (neither an AWS4-HMAC-SHA256 Authorization header nor an X-Amz-Signature
// query): a signed request to /v2/... is S3 path-style for a bucket named
// v2.
func (s *Server) withRegistry(next http.Handler) http.Handler {
	if s.registry == nil {
		return next
	}
	reg := s.registry.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isRegistryRequest(r) {
			next.ServeHTTP(w, r)
			return
		}
		info := &reqctx.Info{Region: s.cfg.Region, SourceIP: remoteIP(r), Secure: r.TLS != nil, Host: r.Host,
			Time: s.deps.Clock(), Service: "ecr", Operation: "registry"}
		reg.ServeHTTP(w, r.WithContext(reqctx.With(r.Context(), info)))
	})
}

func isRegistryRequest(r *http.Request) bool {
	if r.URL.Path != "/v2" && !strings.HasPrefix(r.URL.Path, "/v2/") {
		return false
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		return false
	}
	return r.URL.Query().Get("X-Amz-Signature") == ""
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// repositoryPolicies serves the authorizer the repository policy of an
// ECR repository ARN.
type repositoryPolicies struct{ svc *ecrsvc.Service }

var _ authz.ResourcePolicySource = repositoryPolicies{}

func (p repositoryPolicies) ResourcePolicy(ctx context.Context, action, resource string) (authz.Document, string, bool, error) {
	if !strings.HasPrefix(resource, "arn:aws:ecr:") {
		return authz.Document{}, "", false, nil
	}
	doc, key, account, ok := p.svc.RepositoryPolicy(ctx, action, resource)
	if !ok {
		return authz.Document{}, "", false, nil
	}
	return authz.Document{Key: key, Text: doc, Kind: policy.KindResource}, account, true, nil
}

// registryGuard authenticates and authorizes the registry's requests: the
// password of an ECR authorization token, resolved to its principal as
// SigV4 resolves an access key, then the ecr: action on the repository's
// ARN by the same policy engine (and repository policy) as the ECR API.
type registryGuard struct {
	s *Server
	w *ecrWiring
}

var _ registry.Guard = registryGuard{}

func (g registryGuard) Authenticate(ctx context.Context, username, password string) (context.Context, error) {
	p, err := g.w.svc.Authenticate(ctx, username, password)
	if errors.Is(err, ecrsvc.ErrBadToken) {
		return ctx, fmt.Errorf("%w: %w", registry.ErrUnauthenticated, err)
	}
	if err != nil {
		return ctx, err
	}
	if !p.IsTemporary() && p.AccessKeyID != "" {
		g.s.iam.RecordAccessKeyUse(ctx, p.AccessKeyID, "ecr", g.s.cfg.Region)
	} else if p.Kind == principal.AssumedRole {
		g.s.iam.RecordRoleUse(ctx, p.RoleARN, g.s.cfg.Region)
	}
	return principal.NewContext(ctx, p), nil
}

func (g registryGuard) Authorize(ctx context.Context, action, repository string) error {
	p := principal.FromContext(ctx)
	if p == nil {
		return fmt.Errorf("%w: not authenticated", registry.ErrDenied)
	}
	resource, conditions := g.w.svc.RepositoryTarget(ctx, repository)
	d, err := authz.Recording(g.s.authz, g.s.iam).Authorize(ctx, authz.Request{
		Principal: p, Action: action, Resources: []string{resource}, Context: conditions,
	})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return fmt.Errorf("%w: %s", registry.ErrDenied, d.Message)
	}
	return nil
}

func (g registryGuard) Repository(ctx context.Context, name string) (registry.RepositoryInfo, error) {
	info, ok := g.w.svc.Repository(ctx, name)
	if !ok {
		return registry.RepositoryInfo{}, fmt.Errorf("%w: %s", registry.ErrRepositoryNotFound, name)
	}
	return registry.RepositoryInfo{Name: info.Name, ImmutableTags: info.ImmutableTags}, nil
}

// ecrKeys resolves the access key of an authorization token with the
// keyring SigV4 uses. In open auth mode every key is the account root, as
// every request is.
type ecrKeys struct{ s *Server }

var _ ecrsvc.Keys = ecrKeys{}

func (k ecrKeys) AccessKey(ctx context.Context, id string) (ecrsvc.Credential, error) {
	if k.s.cfg.AuthMode == "open" {
		a := k.s.cfg.AccountID
		return ecrsvc.Credential{Principal: &principal.Principal{Kind: principal.Root, AccountID: a, ARN: arn.Root(a), UserID: a, AccessKeyID: id}}, nil
	}
	c, err := keyring{iam: k.s.iam, sts: k.s.sts}.LookupAccessKey(ctx, id)
	if errors.Is(err, sigv4.ErrUnknownAccessKey) {
		return ecrsvc.Credential{}, fmt.Errorf("%w: %w", ecrsvc.ErrUnknownAccessKey, err)
	}
	if err != nil {
		return ecrsvc.Credential{}, err
	}
	p, ok := c.Principal.(*principal.Principal)
	if !ok || p == nil {
		return ecrsvc.Credential{}, fmt.Errorf("%w: access key has no principal", ecrsvc.ErrUnknownAccessKey)
	}
	return ecrsvc.Credential{Principal: p, Expiration: c.Expiration}, nil
}

// registryImages is the ECR service's ImageStore on the registry, mapping
// the registry's errors to the service's.
type registryImages struct{ r *registry.Registry }

var _ ecrsvc.ImageStore = registryImages{}

func (i registryImages) Images(ctx context.Context, repo string) ([]ecrsvc.Image, error) {
	imgs, err := i.r.Images(ctx, repo)
	if err != nil {
		return nil, imageErr(err)
	}
	out := make([]ecrsvc.Image, len(imgs))
	for n, img := range imgs {
		out[n] = ecrsvc.Image(img)
	}
	return out, nil
}

func (i registryImages) Image(ctx context.Context, repo, ref string) (ecrsvc.Image, error) {
	img, err := i.r.Image(ctx, repo, ref)
	return ecrsvc.Image(img), imageErr(err)
}

func (i registryImages) PutManifest(ctx context.Context, repo string, body []byte, mediaType, tag, digest string, immutable bool) (ecrsvc.Image, error) {
	img, err := i.r.PutManifest(ctx, repo, body, mediaType, tag, digest, immutable)
	return ecrsvc.Image(img), imageErr(err)
}

func (i registryImages) Untag(ctx context.Context, repo, tag string) error {
	return imageErr(i.r.Untag(ctx, repo, tag))
}

func (i registryImages) DeleteManifest(ctx context.Context, repo, digest string) error {
	return imageErr(i.r.DeleteManifest(ctx, repo, digest))
}

func (i registryImages) BlobSize(ctx context.Context, repo, digest string) (int64, error) {
	n, err := i.r.BlobSize(ctx, repo, digest)
	return n, imageErr(err)
}

func (i registryImages) StartUpload(ctx context.Context, repo string) (string, error) {
	id, err := i.r.StartUpload(ctx, repo)
	return id, imageErr(err)
}

func (i registryImages) UploadPart(ctx context.Context, repo, uploadID string, first int64, data io.Reader) (int64, error) {
	n, err := i.r.UploadPart(ctx, repo, uploadID, first, data)
	return n, imageErr(err)
}

func (i registryImages) CompleteUpload(ctx context.Context, repo, uploadID, digest string) error {
	return imageErr(i.r.CompleteUpload(ctx, repo, uploadID, digest))
}

func (i registryImages) DeleteRepository(ctx context.Context, repo string) error {
	return imageErr(i.r.DeleteRepository(ctx, repo))
}

// imageErrs maps the registry's sentinels to the ECR service's.
var imageErrs = []struct{ from, to error }{
	{registry.ErrImageNotFound, ecrsvc.ErrImageNotFound},
	{registry.ErrBlobNotFound, ecrsvc.ErrBlobNotFound},
	{registry.ErrUploadNotFound, ecrsvc.ErrUploadNotFound},
	{registry.ErrInvalidDigest, ecrsvc.ErrInvalidDigest},
	{registry.ErrInvalidManifest, ecrsvc.ErrInvalidManifest},
	{registry.ErrInvalidTag, ecrsvc.ErrInvalidManifest},
	{registry.ErrInvalidRange, ecrsvc.ErrInvalidRange},
	{registry.ErrTagImmutable, ecrsvc.ErrTagImmutable},
}

func imageErr(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range imageErrs {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return err
}
