// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/store"
)

// Defaults of Config.
const (
	DefaultStoppedTaskRetention = time.Hour
	DefaultGCInterval           = time.Minute
	DefaultResyncInterval       = 5 * time.Second
	DefaultLeaderTTL            = 15 * time.Second
)

// Config configures the ECS service.
type Config struct {
	// Region and AccountID are those of every ARN the service forms.
	// berth serves one region: ARNs of other regions name nothing.
	Region    string
	AccountID string
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// StoppedTaskRetention is how long STOPPED tasks stay visible, and
	// INACTIVE container instances, clusters and services stay
	// describable, before the collector deletes them (ECS keeps stopped
	// tasks at least an hour). Default 1h.
	StoppedTaskRetention time.Duration
	// GCInterval is how often the leader collects. Default 1m.
	GCInterval time.Duration
	// ResyncInterval is how often the leader's service controller
	// reconciles every service even without a change. Default 5s.
	ResyncInterval time.Duration
	// LeaderTTL is the lease of the controller leader. Default 15s.
	LeaderTTL time.Duration
	// ReplicaID names this replica in the leader key; a random id when empty.
	ReplicaID string
	// RequireIdentityDocument refuses container instance registrations
	// that carry no instance identity document. Off by default, as on
	// ECS, which accepts them (the agent's ECS_NO_IID) and which berth
	// sim-agents relies on; a document that is sent is always verified.
	RequireIdentityDocument bool
}

// ErrInvalidIdentity is wrapped by an IdentityVerifier's error for a
// document that does not prove an instance: RegisterContainerInstance
// answers it with a ClientException. Any other verifier error is a server
// failure.
var ErrInvalidIdentity = errors.New("ecs: invalid instance identity document")

// IdentityVerifier checks an EC2 instance identity document and its
// signature (the EC2 service, wired by the control plane) and returns the
// instance id it proves. Errors for a document that does not verify, or
// that names no live instance of this account and region, wrap
// ErrInvalidIdentity. It must be safe for concurrent use.
type IdentityVerifier interface {
	VerifyIdentityDocument(doc, signature string) (instanceID string, err error)
}

// PassRoleChecker decides iam:PassRole for the caller in ctx: may it pass
// roleARN to ecs-tasks.amazonaws.com? RunTask, StartTask, CreateService and
// UpdateService ask it for the task role and the execution role of the
// task definition they launch. message is AWS's AccessDenied message for a
// denial.
type PassRoleChecker interface {
	CheckPassRole(ctx context.Context, roleARN string) (allowed bool, message string, err error)
}

// Deps are the service's collaborators.
type Deps struct {
	// Store holds every ECS record.
	Store *store.Store
	// PassRole authorizes iam:PassRole; nil allows every role (tests).
	PassRole PassRoleChecker
	// Identity verifies the instance identity documents of
	// RegisterContainerInstance; nil stores documents unverified (tests).
	Identity IdentityVerifier
	// Logger receives the service's logs; slog.Default when nil.
	Logger *slog.Logger
}

// Service implements the ECS API (ecsapi.API) for the EC2 launch type over
// the store, the gateway.Describer that authorizes it, and the
// agentapi.Backend the ACS server delivers work with. It is safe for
// concurrent use and for running on several replicas of one store: every
// state change is a compare-and-swap, and the background loops (service
// controller, collector) run on the replica holding the leader lease. See
// doc.go.
type Service struct {
	ecsapi.Unimplemented

	cfg      Config
	st       *store.Store
	t        *tables
	pass     PassRoleChecker
	identity IdentityVerifier
	log      *slog.Logger

	view     *instanceView
	batch    *batcher
	watchers *watchers
	// agentTasks memoizes what InstanceTasks renders (agent_tasks.go).
	agentTasks agentTasks
	ctl        *controllerQueue
	// startRev is the cache revision the view was built from; the watch
	// starts after it.
	startRev int64
}

var (
	_ ecsapi.API       = (*Service)(nil)
	_ agentapi.Backend = (*Service)(nil)
)

// New returns the ECS service. It registers the ECS tables on the store,
// fills their caches and builds the placement view; it fails if a
// dependency is missing or the tables are already registered on that store.
func New(cfg Config, deps Deps) (*Service, error) {
	if cfg.Region == "" || len(cfg.AccountID) != 12 {
		return nil, errors.New("ecs: Config.Region and a 12-digit Config.AccountID are required")
	}
	if deps.Store == nil {
		return nil, errors.New("ecs: Deps.Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.StoppedTaskRetention <= 0 {
		cfg.StoppedTaskRetention = DefaultStoppedTaskRetention
	}
	if cfg.GCInterval <= 0 {
		cfg.GCInterval = DefaultGCInterval
	}
	if cfg.ResyncInterval <= 0 {
		cfg.ResyncInterval = DefaultResyncInterval
	}
	if cfg.LeaderTTL <= 0 {
		cfg.LeaderTTL = DefaultLeaderTTL
	}
	if cfg.ReplicaID == "" {
		cfg.ReplicaID = newID()[:12]
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t, err := openTables(ctx, deps.Store)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:      cfg,
		st:       deps.Store,
		t:        t,
		pass:     deps.PassRole,
		identity: deps.Identity,
		log:      deps.Logger,
		watchers: newWatchers(),
		ctl:      newControllerQueue(),
		batch:    newBatcher(deps.Store),
	}
	s.view = newInstanceView(s)
	s.startRev = deps.Store.Revision()
	s.view.loadAll()
	return s, nil
}

// Run runs the service's background work until ctx ends: the watch that
// keeps the placement view and agent notifications current with every
// replica's writes, and, while this replica holds the leader lease, the
// service controller and the collector of stopped tasks and inactive
// resources. It returns ctx's error.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.watch(ctx)
	}()
	go func() {
		defer wg.Done()
		s.lead(ctx, func(lctx context.Context) {
			var lw sync.WaitGroup
			lw.Add(2)
			go func() { defer lw.Done(); s.runController(lctx) }()
			go func() { defer lw.Done(); s.runGC(lctx) }()
			lw.Wait()
		})
	}()
	wg.Wait()
	return ctx.Err()
}

// now is the service's clock in UTC, at millisecond precision as ECS
// reports times.
func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Millisecond) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// optional returns nil for the empty string (a field AWS leaves out).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func itoa(i int) string { return strconv.Itoa(i) }

func cmpString(a, b string) int { return strings.Compare(a, b) }

// timePtr returns nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Messages ECS answers with, as its clients observe them.
const (
	msgClusterNotFound    = "Cluster not found."
	msgServiceNotFound    = "Service not found."
	msgServiceNotActive   = "Service was not ACTIVE."
	msgTaskDefNotFound    = "Unable to describe task definition."
	msgNoInstances        = "No Container Instances were found in your cluster."
	msgClusterHasInstance = "The Cluster cannot be deleted while Container Instances are active or draining."
	msgClusterHasServices = "The Cluster cannot be deleted while Services are active."
	msgClusterHasTasks    = "The Cluster cannot be deleted while Tasks are active."
	msgServiceNotIdem     = "Creation of service was not idempotent."
	msgStoppedByUser      = "Task stopped by user"
	msgInstanceForced     = "Container instance deregistration forced by user"
	msgEssentialExited    = "Essential container in task exited"
)

// Reasons of failures[] entries.
const (
	reasonMissing  = "MISSING"
	reasonInactive = "INACTIVE"
)

// Task stop codes (TaskStopCode).
const (
	stopUser      = "UserInitiated"
	stopScheduler = "ServiceSchedulerInitiated"
	stopEssential = "EssentialContainerExited"
	stopFailed    = "TaskFailedToStart"
)

// maxCASRetries bounds the compare-and-swap loops that write several
// records of one change.
const maxCASRetries = 50

func errClusterNotFound() error { return ecsapi.ErrClusterNotFound(msgClusterNotFound) }

func invalidParam(format string, args ...any) error {
	return ecsapi.ErrInvalidParameter(format, args...)
}

func clientErr(format string, args ...any) error { return ecsapi.ErrClient(format, args...) }

// storeErr turns an unexpected store failure into a ServerException that
// logs the cause; expected outcomes (not found, conflict) are handled by
// the callers before.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return err
	}
	return ecsapi.ErrServer("Service error.").WithCause(err)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func isConflict(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound)
}

// conflictOn reports whether err is a failed guard on a record of table.
func conflictOn(err error, table string) (id string, ok bool) {
	var re *store.RecordError
	if errors.As(err, &re) && re.Table == table && isConflict(err) {
		return re.ID, true
	}
	return "", false
}

func errf(format string, args ...any) error { return fmt.Errorf("ecs: "+format, args...) }
