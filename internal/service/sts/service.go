// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// Defaults for Config.
const (
	DefaultSessionRetention = time.Hour
	DefaultSweepInterval    = 5 * time.Minute
)

// Config configures a Service.
type Config struct {
	// AccountID is the account berth serves (12 digits).
	AccountID string
	// Region is the server's region.
	Region string
	// Clock returns the current time; nil means time.Now. Tests pass a
	// fake to drive expiry and GC.
	Clock func() time.Time
	// SessionRetention is how long a session record is kept after it
	// expires, so requests signed with it get ExpiredToken rather than
	// InvalidClientTokenId. Zero means DefaultSessionRetention.
	SessionRetention time.Duration
	// SweepInterval is how often Run deletes sessions past retention. Zero
	// means DefaultSweepInterval.
	SweepInterval time.Duration
}

// Role is what STS needs to know about an IAM role.
type Role struct {
	ARN string
	// RoleID is the role's unique id (AROA…).
	RoleID string
	Name   string
	Path   string
	// TrustPolicy is the role's assume-role policy document (JSON).
	TrustPolicy string
	// MaxSessionDuration is in seconds (3600..43200); 0 means 3600.
	MaxSessionDuration int32
	// Tags are the role's tags; they become aws:PrincipalTag of its
	// sessions, overlaid by session tags.
	Tags map[string]string
}

// ErrRoleNotFound is returned by RoleLookup implementations for a role
// that does not exist.
var ErrRoleNotFound = errors.New("sts: role not found")

// RoleLookup finds roles. IAM implements it; the control plane wires it.
type RoleLookup interface {
	// RoleByARN returns the role named by arn, or an error wrapping
	// ErrRoleNotFound.
	RoleByARN(ctx context.Context, arn string) (*Role, error)
}

// Actions a role's trust policy is asked about.
const (
	ActionAssumeRole        = "sts:AssumeRole"
	ActionTagSession        = "sts:TagSession"
	ActionSetSourceIdentity = "sts:SetSourceIdentity"
)

// AssumeRequest asks whether a role's trust policy allows an action.
type AssumeRequest struct {
	// Caller is the principal calling AssumeRole; nil when an AWS service
	// assumes the role on its own (see Service).
	Caller *principal.Principal
	// Service is the service principal for service-initiated assumes,
	// e.g. "ecs-tasks.amazonaws.com"; empty otherwise.
	Service string
	// Role is the role being assumed; its TrustPolicy is the policy to
	// evaluate and its ARN the resource.
	Role *Role
	// Action is ActionAssumeRole, ActionTagSession (session tags are set)
	// or ActionSetSourceIdentity (a source identity is set).
	Action string
	// Context holds the request's condition keys: sts:RoleSessionName,
	// sts:ExternalId, sts:SourceIdentity, aws:SourceIdentity,
	// aws:RequestTag/KEY, aws:TagKeys, sts:TransitiveTagKeys,
	// aws:SourceAccount. Keys derived from Caller (aws:PrincipalTag/*,
	// aws:MultiFactorAuthPresent, aws:TokenIssueTime...) are the judge's.
	Context map[string][]string
}

// Decision is a TrustJudge's answer.
type Decision struct {
	Allowed bool
	// Message is the AccessDenied message for a denial; empty means STS
	// writes AWS's default "User: … is not authorized to perform: …".
	Message string
}

// TrustJudge evaluates role trust policies for service-initiated assumes
// (AssumeRoleAsService); a caller's AssumeRole is authorized by the gateway
// (AuthzTarget). The policy engine implements it; the control plane wires
// it. Implementations are safe for concurrent
// use.
type TrustJudge interface {
	AllowAssume(ctx context.Context, req AssumeRequest) (Decision, error)
}

// ErrPolicyNotFound is returned by PolicyLookup implementations for a
// managed policy that does not exist.
var ErrPolicyNotFound = errors.New("sts: policy not found")

// PolicyLookup resolves managed policies passed as session policies.
type PolicyLookup interface {
	// PolicyDocument returns the default version's document of the managed
	// policy arn, or an error wrapping ErrPolicyNotFound.
	PolicyDocument(ctx context.Context, arn string) (string, error)
}

// Deps are a Service's collaborators. Store, Roles and Trust are required.
type Deps struct {
	// Store persists sessions in the SessionTable table, which New
	// registers (once per Store).
	Store *store.Store
	Roles RoleLookup
	Trust TrustJudge
	// Policies resolves PolicyArns; nil makes every PolicyArns request fail
	// as if the policy did not exist.
	Policies PolicyLookup
	Logger   *slog.Logger
}

// Service implements stsapi.API. It is safe for concurrent use.
type Service struct {
	stsapi.Unimplemented

	cfg      Config
	deps     Deps
	sessions *sessionTable
}

var _ stsapi.API = (*Service)(nil)

// New returns a Service.
func New(cfg Config, deps Deps) (*Service, error) {
	if cfg.AccountID == "" {
		return nil, errors.New("sts: Config.AccountID is required")
	}
	if deps.Store == nil || deps.Roles == nil || deps.Trust == nil {
		return nil, errors.New("sts: Deps.Store, Roles and Trust are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.SessionRetention <= 0 {
		cfg.SessionRetention = DefaultSessionRetention
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	// The context bounds only the initial fill of the session cache.
	sessions, err := newSessionTable(context.Background(), deps.Store)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, deps: deps, sessions: sessions}, nil
}

// now is the service clock in UTC, to the second as AWS reports times.
func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Second) }

// caller returns the authenticated principal of ctx.
func caller(ctx context.Context) (*principal.Principal, error) {
	p := principal.FromContext(ctx)
	if p == nil || p.Kind == principal.Anonymous {
		return nil, awserr.New(awserr.CodeMissingAuthenticationToken, http.StatusForbidden, "Request is missing Authentication Token")
	}
	return p, nil
}
