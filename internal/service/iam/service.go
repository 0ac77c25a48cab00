// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/store"
)

// Config configures the IAM service.
type Config struct {
	// AccountID is the 12-digit account every entity belongs to.
	AccountID string
	// Clock returns the current time; time.Now when nil. CreateDate and
	// last-used timestamps come from it.
	Clock func() time.Time
	// Quotas overrides IAM's default quotas; zero fields keep AWS's.
	Quotas Quotas
	// LastUsedFlush is how often Run writes buffered access key and role
	// last-used data to the store; one minute when zero.
	LastUsedFlush time.Duration
}

// Quotas are the per-entity limits IAM enforces that AWS lets accounts
// raise. Zero means AWS's default.
type Quotas struct {
	PoliciesPerUser  int // managed policies attached to a user (10)
	PoliciesPerRole  int // managed policies attached to a role (10)
	PoliciesPerGroup int // managed policies attached to a group (10)
	GroupsPerUser    int // groups a user belongs to (10)
}

// Fixed IAM quotas (IAM and AWS STS quotas page; GetAccountSummary).
const (
	quotaVersionsPerPolicy   = 5
	quotaAccessKeysPerUser   = 2
	quotaRolesPerProfile     = 1
	quotaPolicySize          = 6144  // managed policy, non-whitespace characters
	quotaTrustPolicySize     = 2048  // role trust policy
	quotaUserPolicySize      = 2048  // aggregate of a user's inline policies
	quotaRolePolicySize      = 10240 // aggregate of a role's inline policies
	quotaGroupPolicySize     = 5120  // aggregate of a group's inline policies
	defaultPoliciesPerEntity = 10
	defaultGroupsPerUser     = 10
	defaultMaxSession        = 3600
)

// Deps are the service's collaborators.
type Deps struct {
	// Store holds every IAM record.
	Store *store.Store
	// Validator checks policy documents at write time.
	Validator PolicyValidator
	// Engine decides the policy simulator's requests; without one,
	// SimulatePrincipalPolicy and SimulateCustomPolicy fail with
	// PolicyEvaluation.
	Engine PolicyEngine
	// Logger receives the service's logs; slog.Default when nil.
	Logger *slog.Logger
}

// Service implements the IAM API (iamapi.API) over the store, plus the
// lookups authentication, authorization and STS need (AccessKey,
// PoliciesFor, Role, RoleByARN, InstanceProfile). It is safe for concurrent
// use; all state is in the store except the buffered last-used data that
// Run flushes.
type Service struct {
	iamapi.Unimplemented

	cfg       Config
	st        *store.Store
	kv        store.KV
	prefix    string // the store's key prefix
	t         *tables
	validator PolicyValidator
	engine    PolicyEngine
	log       *slog.Logger
	catalog   *catalog
	lastUsed  *lastUsedBuffer
}

var _ iamapi.API = (*Service)(nil)

// New returns the IAM service. It loads the embedded AWS managed policy
// catalog and registers the IAM tables on the store (filling their
// caches); it fails if the catalog is corrupt, a dependency is missing or
// the tables are already registered on that store.
func New(cfg Config, deps Deps) (*Service, error) {
	if !arn.IsAccountID(cfg.AccountID) {
		return nil, errors.New("iam: Config.AccountID must be 12 digits")
	}
	if deps.Store == nil || deps.Validator == nil {
		return nil, errors.New("iam: Deps.Store and Deps.Validator are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.LastUsedFlush <= 0 {
		cfg.LastUsedFlush = time.Minute
	}
	q := &cfg.Quotas
	for _, n := range []*int{&q.PoliciesPerUser, &q.PoliciesPerRole, &q.PoliciesPerGroup} {
		if *n <= 0 {
			*n = defaultPoliciesPerEntity
		}
	}
	if q.GroupsPerUser <= 0 {
		q.GroupsPerUser = defaultGroupsPerUser
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t, err := openTables(ctx, deps.Store)
	if err != nil {
		return nil, err
	}
	return &Service{
		cfg:       cfg,
		st:        deps.Store,
		kv:        deps.Store.KV(),
		prefix:    deps.Store.Prefix(),
		t:         t,
		validator: deps.Validator,
		engine:    deps.Engine,
		log:       deps.Logger,
		catalog:   cat,
		lastUsed:  newLastUsedBuffer(),
	}, nil
}

// now is the time entities are stamped with: UTC, whole seconds, as IAM
// reports CreateDate.
func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Second) }

// waitFor makes a write at rev visible to this replica's cached reads.
func (s *Service) waitFor(ctx context.Context, rev int64) error {
	if rev == 0 {
		return nil
	}
	return s.st.WaitForRevision(ctx, rev)
}

// checkDocument validates a decoded policy document with the validator,
// turning a rejection into MalformedPolicyDocument.
func (s *Service) checkDocument(doc string, kind PolicyKind) error {
	err := s.validator.Validate(doc, kind)
	if err == nil {
		return nil
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return iamapi.ErrMalformedPolicyDocument("%s", err.Error()).WithCause(err)
}

func ptr[T any](v T) *T { return &v }

// deref returns *p, or the zero value for a nil p.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
