// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/store"
)

// Defaults of Config.
const (
	DefaultJoinTokenTTL = 24 * time.Hour
	// InstanceType and ImageID are what every host reports itself as.
	InstanceType = "berth.host"
	ImageID      = "ami-berth"
	// JoinTokenTag is the tag RunInstances' response carries the one-time
	// join token in. It is never stored and never shown again.
	JoinTokenTag = "berth:join-token"
	// ServicePrincipal is the principal instance roles are assumed as, and
	// the iam:PassedToService of the roles passed to instances.
	ServicePrincipal = "ec2.amazonaws.com"
	// maxInstancesPerRun caps RunInstances' MaxCount.
	maxInstancesPerRun = 20
)

// Config configures the EC2 service.
type Config struct {
	// Region and AccountID are those of every ARN and identity document.
	Region    string
	AccountID string
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// JoinTokenTTL is how long a join token may be used. Default 24h.
	JoinTokenTTL time.Duration
}

// Profile is an IAM instance profile as the EC2 service sees it.
type Profile struct {
	Name string
	ARN  string
	ID   string // AIPA…
	// RoleARN and RoleName are the profile's role; empty when it holds none.
	RoleARN  string
	RoleName string
}

// ErrProfileNotFound is wrapped by Profiles when no profile matches.
var ErrProfileNotFound = errors.New("ec2: instance profile not found")

// Profiles finds IAM instance profiles. Errors wrap ErrProfileNotFound
// when there is no such profile.
type Profiles interface {
	InstanceProfile(ctx context.Context, name string) (*Profile, error)
	InstanceProfileByARN(ctx context.Context, arn string) (*Profile, error)
}

// PassRoleChecker decides iam:PassRole for the caller in ctx: may it pass
// roleARN to ec2.amazonaws.com? RunInstances, AssociateIamInstanceProfile
// and ReplaceIamInstanceProfileAssociation ask it for the profile's role.
// message is AWS's denial message.
type PassRoleChecker interface {
	CheckPassRole(ctx context.Context, roleARN string) (allowed bool, message string, err error)
}

// ResourceAuthorizer decides an action for the caller in ctx on one
// resource with that resource's condition keys. AuthzTarget uses it for
// the second and later instances of a request naming several, whose
// ec2:ResourceTag keys differ per instance (the gateway judges the first).
type ResourceAuthorizer interface {
	AuthorizeResource(ctx context.Context, action, resource string, keys map[string][]string) (allowed bool, message string, err error)
}

// Deps are the service's collaborators.
type Deps struct {
	// Store holds instances and the identity signing key.
	Store    *store.Store
	Profiles Profiles
	// PassRole authorizes iam:PassRole; nil allows every role (tests).
	PassRole PassRoleChecker
	// Resources authorizes the further instances of a multi-instance
	// request; nil judges only the first (tests).
	Resources ResourceAuthorizer
	Logger    *slog.Logger
}

// Service implements the EC2 API for hosts (ec2api.API), the
// gateway.Describer that authorizes it, and the host side of instances:
// join, host authentication and signed identity documents. It is safe for
// concurrent use and for replicas sharing a store: every change is a
// compare-and-swap on the instance record.
type Service struct {
	ec2api.Unimplemented

	cfg       Config
	st        *store.Store
	instances *store.Table[instanceRec]
	keys      *store.Table[keyRec]
	profiles  Profiles
	pass      PassRoleChecker
	resources ResourceAuthorizer
	log       *slog.Logger

	signerMu sync.Mutex
	signer   *signer // the identity key, loaded or created on first use
}

var (
	_ ec2api.API        = (*Service)(nil)
	_ gateway.Describer = (*Service)(nil)
)

// Table names, registered once per store.
const (
	tableInstances = "ec2-instances"
	tableKeys      = "ec2-keys"
)

// Index names of the instance table.
const (
	indexAssociation = "association" // association id
	indexClientToken = "client-token"
)

// New returns the EC2 service. It registers its tables on the store; it
// fails if a dependency is missing or the tables are already registered.
func New(cfg Config, deps Deps) (*Service, error) {
	if cfg.Region == "" || len(cfg.AccountID) != 12 {
		return nil, errors.New("ec2: Config.Region and a 12-digit Config.AccountID are required")
	}
	if deps.Store == nil || deps.Profiles == nil {
		return nil, errors.New("ec2: Deps.Store and Deps.Profiles are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.JoinTokenTTL <= 0 {
		cfg.JoinTokenTTL = DefaultJoinTokenTTL
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := store.NewTable[instanceRec](ctx, deps.Store, tableInstances, store.TableConfig{})
	if err != nil {
		return nil, err
	}
	if err := inst.Index(indexAssociation, func(r *instanceRec) []string {
		if r.Assoc == nil {
			return nil
		}
		return []string{r.Assoc.ID}
	}); err != nil {
		return nil, err
	}
	if err := inst.Index(indexClientToken, func(r *instanceRec) []string {
		if r.ClientToken == "" {
			return nil
		}
		return []string{r.ClientToken}
	}); err != nil {
		return nil, err
	}
	keys, err := store.NewTable[keyRec](ctx, deps.Store, tableKeys, store.TableConfig{NoCache: true})
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, st: deps.Store, instances: inst, keys: keys, profiles: deps.Profiles, pass: deps.PassRole,
		resources: deps.Resources, log: deps.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Clock().UTC() }

// zone is the one availability zone berth serves.
func (s *Service) zone() string { return s.cfg.Region + "a" }
