// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// Image is one manifest in a repository, as the image store reports it.
type Image struct {
	Digest            string   // sha256:...
	Tags              []string // sorted
	MediaType         string   // manifest media type
	ArtifactMediaType string   // config media type, when any
	// Size is ECR's imageSizeInBytes: the layers plus the config.
	Size     int64
	PushedAt time.Time
	Manifest []byte // raw manifest bytes, exactly as pushed
}

// ImageStore is the image storage the ECR API reads and writes: the OCI
// registry the control plane also serves under /v2/. Errors wrap the
// sentinels below (ErrImageNotFound, ErrBlobNotFound...). Implementations
// are safe for concurrent use.
type ImageStore interface {
	// Images returns every manifest of repo with its tags, by digest.
	Images(ctx context.Context, repo string) ([]Image, error)
	// Image returns the manifest ref (a tag or a digest) names.
	Image(ctx context.Context, repo, ref string) (Image, error)
	// PutManifest stores a manifest and, when tag is set, points tag at it;
	// with immutable set it refuses (ErrTagImmutable) to move an existing
	// tag. digest, when set, must match the bytes (ErrInvalidDigest).
	PutManifest(ctx context.Context, repo string, body []byte, mediaType, tag, digest string, immutable bool) (Image, error)
	Untag(ctx context.Context, repo, tag string) error
	// DeleteManifest removes a manifest and every tag pointing at it.
	DeleteManifest(ctx context.Context, repo, digest string) error
	BlobSize(ctx context.Context, repo, digest string) (int64, error)
	StartUpload(ctx context.Context, repo string) (uploadID string, err error)
	// UploadPart appends data at offset first (ErrInvalidRange unless it is
	// the size so far) and returns the last byte received.
	UploadPart(ctx context.Context, repo, uploadID string, first int64, data io.Reader) (lastByteReceived int64, err error)
	CompleteUpload(ctx context.Context, repo, uploadID, digest string) error
	// DeleteRepository removes all of repo's images.
	DeleteRepository(ctx context.Context, repo string) error
}

// Errors an ImageStore wraps.
var (
	ErrImageNotFound   = errors.New("ecr: image not found")
	ErrBlobNotFound    = errors.New("ecr: layer not found")
	ErrUploadNotFound  = errors.New("ecr: upload not found")
	ErrInvalidDigest   = errors.New("ecr: invalid digest")
	ErrInvalidManifest = errors.New("ecr: invalid manifest")
	ErrInvalidRange    = errors.New("ecr: invalid layer part range")
	ErrTagImmutable    = errors.New("ecr: tag is immutable")
)

// Credential is what an access key stands for now.
type Credential struct {
	Principal *principal.Principal
	// Expiration is when temporary credentials expire; zero for long-term
	// keys.
	Expiration time.Time
}

// ErrUnknownAccessKey is wrapped by Keys when the access key does not
// exist or is inactive.
var ErrUnknownAccessKey = errors.New("ecr: unknown access key")

// Keys resolves an access key to its principal, as SigV4 verification
// does (the control plane wires its keyring).
type Keys interface {
	AccessKey(ctx context.Context, accessKeyID string) (Credential, error)
}

// Config configures a Service.
type Config struct {
	AccountID string
	Region    string
	// RegistryHost returns the host[:port] docker reaches the registry at:
	// repositoryUri is RegistryHost()/NAME and the proxy endpoint
	// http://RegistryHost(). Required.
	RegistryHost func() string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// TokenLifetime is how long authorization tokens last; zero means 12 h.
	TokenLifetime time.Duration
}

// Deps are a Service's collaborators; all but Logger are required.
type Deps struct {
	Store  *store.Store
	Images ImageStore
	Keys   Keys
	Logger *slog.Logger
}

// Service implements ecrapi.API. It is safe for concurrent use.
type Service struct {
	ecrapi.Unimplemented

	cfg  Config
	deps Deps
	t    *tables
	keys *tokenKeys
}

var _ ecrapi.API = (*Service)(nil)

// New returns a Service; it registers the ECR tables on deps.Store.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if cfg.AccountID == "" || cfg.Region == "" || cfg.RegistryHost == nil {
		return nil, errors.New("ecr: Config.AccountID, Region and RegistryHost are required")
	}
	if deps.Store == nil || deps.Images == nil || deps.Keys == nil {
		return nil, errors.New("ecr: Deps.Store, Images and Keys are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = 12 * time.Hour
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	t, err := openTables(ctx, deps.Store)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, deps: deps, t: t, keys: &tokenKeys{st: deps.Store}}, nil
}

// now is the service clock in UTC.
func (s *Service) now() time.Time { return s.cfg.Clock().UTC() }

// RegistryHost returns the host[:port] of the registry.
func (s *Service) RegistryHost() string { return s.cfg.RegistryHost() }

// registryID checks the registryId a request names: this account's or
// none.
func (s *Service) registryID(id *string) error {
	if id == nil || *id == s.cfg.AccountID {
		return nil
	}
	if !isAccountID(*id) {
		return ecrapi.ErrInvalidParameter("Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''")
	}
	return ecrapi.ErrRepositoryNotFound("The registry with id '%s' does not exist", *id)
}

// repo returns a repository record; RepositoryNotFoundException if absent.
func (s *Service) repo(ctx context.Context, name string) (store.Record[repoRec], error) {
	r, err := s.t.repos.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, s.errRepoNotFound(name)
	}
	if err != nil {
		return r, fmt.Errorf("ecr: %w", err)
	}
	return r, nil
}

// repoFor checks a request's registry id and repository name and returns
// the repository.
func (s *Service) repoFor(ctx context.Context, registryID, name *string) (store.Record[repoRec], error) {
	if err := s.registryID(registryID); err != nil {
		return store.Record[repoRec]{}, err
	}
	if err := validateName(str(name)); err != nil {
		return store.Record[repoRec]{}, err
	}
	return s.repo(ctx, str(name))
}

// updateRepo applies fn to a repository with compare-and-swap.
func (s *Service) updateRepo(ctx context.Context, name string, fn func(*repoRec) error) (store.Record[repoRec], error) {
	r, err := s.t.repos.Update(ctx, name, fn)
	if errors.Is(err, store.ErrNotFound) {
		return r, s.errRepoNotFound(name)
	}
	return r, err
}

func (s *Service) errRepoNotFound(name string) error {
	return ecrapi.ErrRepositoryNotFound("The repository with name '%s' does not exist in the registry with id '%s'", name, s.cfg.AccountID)
}

// isAccountID is arn.IsAccountID under the name the package's files use.
func isAccountID(s string) bool { return arn.IsAccountID(s) }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
