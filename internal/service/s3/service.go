// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/blob"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// Defaults for Config.
const (
	DefaultMinPartSize   = 5 << 20 // 5 MiB: every part but the last
	DefaultMaxObjectSize = 5 << 30 // 5 GiB: one PutObject or UploadPart
	DefaultSweepInterval = time.Hour
	DefaultSweepGrace    = 24 * time.Hour
)

// Config configures a Service.
type Config struct {
	// AccountID is the account berth serves.
	AccountID string
	// Region is the server's region; buckets created without a location
	// constraint live here.
	Region string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// MinPartSize is the smallest part but the last that
	// CompleteMultipartUpload accepts; zero means DefaultMinPartSize.
	MinPartSize int64
	// MaxObjectSize bounds one PutObject or UploadPart body; zero means
	// DefaultMaxObjectSize.
	MaxObjectSize int64
	// SweepInterval is how often Run reclaims unreferenced blobs, and
	// SweepGrace how old such a blob must be (longer than any upload);
	// zero means DefaultSweepInterval and DefaultSweepGrace.
	SweepInterval, SweepGrace time.Duration
}

// Authorizer answers whether the caller in ctx may perform action on
// resource, for the checks the gateway cannot make before the handler
// runs (s3:GetObject on the source of CopyObject and UploadPartCopy). The
// control plane wires the policy engine; implementations are safe for
// concurrent use. message is the AccessDenied message of a denial.
type Authorizer interface {
	Authorize(ctx context.Context, action, resource string, conditions map[string][]string) (allowed bool, message string, err error)
}

// Deps are a Service's collaborators. Store, Blobs and Authorizer are
// required.
type Deps struct {
	// Store holds the S3 tables, which New registers (once per Store).
	Store *store.Store
	// Blobs holds object contents.
	Blobs      blob.Store
	Authorizer Authorizer
	Logger     *slog.Logger
}

// Service implements s3api.API. It is safe for concurrent use.
type Service struct {
	s3api.Unimplemented

	cfg  Config
	deps Deps
	t    *tables
}

var _ s3api.API = (*Service)(nil)

// New returns a Service; it registers the S3 tables on deps.Store and
// fills their caches.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if cfg.AccountID == "" || cfg.Region == "" {
		return nil, errors.New("s3: Config.AccountID and Region are required")
	}
	if deps.Store == nil || deps.Blobs == nil || deps.Authorizer == nil {
		return nil, errors.New("s3: Deps.Store, Blobs and Authorizer are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.MinPartSize <= 0 {
		cfg.MinPartSize = DefaultMinPartSize
	}
	if cfg.MaxObjectSize <= 0 {
		cfg.MaxObjectSize = DefaultMaxObjectSize
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.SweepGrace <= 0 {
		cfg.SweepGrace = DefaultSweepGrace
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	t, err := openTables(ctx, deps.Store)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, deps: deps, t: t}, nil
}

// now is the service clock in UTC to the millisecond, as S3 reports times.
func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Millisecond) }

// caller returns the authenticated principal of ctx.
func caller(ctx context.Context) (*principal.Principal, error) {
	p := principal.FromContext(ctx)
	if p == nil || p.Kind == principal.Anonymous {
		return nil, errAccessDenied("Access Denied")
	}
	return p, nil
}

// bucket returns the bucket record; NoSuchBucket if it does not exist or
// is being deleted.
func (s *Service) bucket(ctx context.Context, name string) (store.Record[bucketRec], error) {
	r, err := s.t.buckets.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, errNoSuchBucket(name)
	}
	if err != nil {
		return r, fmt.Errorf("s3: %w", err)
	}
	return r, nil
}

// object returns the object record; NoSuchKey if it does not exist.
func (s *Service) object(ctx context.Context, bucket, key string) (store.Record[objectRec], error) {
	r, err := s.t.objects.Get(ctx, objectID(bucket, key))
	if errors.Is(err, store.ErrNotFound) {
		return r, errNoSuchKey(key)
	}
	if err != nil {
		return r, fmt.Errorf("s3: %w", err)
	}
	return r, nil
}

// canonicalID is the S3 canonical user id of an account: 64 hex
// characters, stable per account.
func canonicalID(account string) string {
	sum := sha256.Sum256([]byte("berth-s3-canonical-user:" + account))
	return hex.EncodeToString(sum[:])
}

// deleteBlob removes a blob no record refers to any more; a failure only
// leaks space, which Sweep reclaims, so it is logged, not returned.
func (s *Service) deleteBlob(ctx context.Context, id string) {
	if id == "" {
		return
	}
	if err := s.deps.Blobs.Delete(context.WithoutCancel(ctx), id); err != nil && !errors.Is(err, blob.ErrNotFound) {
		s.deps.Logger.Warn("s3: delete blob", "blob", id, "err", err)
	}
}

// storeError maps store failures that a client can cause by racing
// itself; anything else is internal.
func storeError(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return awserr.New("OperationAborted", http.StatusConflict,
			"A conflicting conditional operation is currently in progress against this resource. Please try again.").WithCause(err)
	}
	return err
}

func newUploadID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func quote(etag string) string { return `"` + etag + `"` }
