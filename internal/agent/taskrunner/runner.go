// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/logkey"
)

// Pull behaviours (ECS_IMAGE_PULL_BEHAVIOR).
const (
	PullDefault      = "default"       // pull; if that fails, use the local image if any
	PullAlways       = "always"        // pull; if that fails, fail
	PullOnce         = "once"          // pull the first time this runner sees the image
	PullPreferCached = "prefer-cached" // pull only when the image is absent
)

// ErrClosed is returned by a Runner after Close.
var ErrClosed = errors.New("taskrunner: runner closed")

// Config configures a Runner.
type Config struct {
	// Cluster is the cluster (name or ARN) labelled on containers and shown
	// in task metadata; Restore adopts only containers labelled with it.
	Cluster          string
	Region           string
	AvailabilityZone string
	// StopTimeout is the default grace between SIGTERM and SIGKILL;
	// 0 means 30s.
	StopTimeout time.Duration
	// CleanupWait is how long stopped containers are kept; 0 means 3h.
	CleanupWait time.Duration
	// PullBehavior is one of the Pull* constants; empty means default.
	PullBehavior string
	// MetadataEndpoint is the host[:port] containers are told for the
	// credentials and metadata endpoint; empty means 169.254.170.2.
	MetadataEndpoint string
	// HealthInterval is how often health status is polled; 0 means 1s.
	HealthInterval time.Duration
}

// Store persists task checkpoints; *state.DB is one.
type Store interface {
	PutTask(state.Task) error
	DeleteTask(arn string) error
	Tasks() ([]state.Task, error)
}

// AuthResolver turns a container's registryAuthentication into Docker
// registry credentials (for ECR: GetAuthorizationToken with the instance
// or execution role). It is owned by the agent.
type AuthResolver interface {
	RegistryAuth(ctx context.Context, t *Task, c *Container) (*docker.RegistryAuth, error)
}

// Deps are a Runner's collaborators.
type Deps struct {
	Docker docker.Client // required
	// Credentials and Registry feed the task endpoint; with them New adds
	// the creds, metadata and network hooks.
	Credentials creds.Manager
	Registry    *creds.Registry
	// Store checkpoints tasks; nil keeps nothing (no Restore).
	Store Store
	Auth  AuthResolver
	// OnStateChange is called (from the task's goroutine, so it must not
	// block) after every change of a task.
	OnStateChange func(StateChange)
	// Hooks are extra hooks, run after the built-in ones.
	Hooks  []Hook
	Logger *slog.Logger
}

// Runner runs tasks on Docker. It is safe for concurrent use.
type Runner struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	hooks []Hook

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	tasks  map[string]*taskRunner
	pulled map[string]bool // images pulled by this runner (PullOnce)
	closed bool
}

// New returns a Runner.
func New(cfg Config, deps Deps) (*Runner, error) {
	if deps.Docker == nil {
		return nil, errors.New("taskrunner: New needs a Docker client")
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 30 * time.Second
	}
	if cfg.CleanupWait <= 0 {
		cfg.CleanupWait = 3 * time.Hour
	}
	if cfg.PullBehavior == "" {
		cfg.PullBehavior = PullDefault
	}
	switch cfg.PullBehavior {
	case PullDefault, PullAlways, PullOnce, PullPreferCached:
	default:
		return nil, fmt.Errorf("taskrunner: pull behavior %q", cfg.PullBehavior)
	}
	if cfg.MetadataEndpoint == "" {
		cfg.MetadataEndpoint = "169.254.170.2"
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = time.Second
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Runner{cfg: cfg, deps: deps, log: log.With(logkey.Service, "taskrunner"), tasks: map[string]*taskRunner{}, pulled: map[string]bool{}}
	if deps.Credentials != nil {
		r.hooks = append(r.hooks, &CredsHook{Manager: deps.Credentials})
	}
	r.hooks = append(r.hooks, &MetadataHook{Registry: deps.Registry, Endpoint: cfg.MetadataEndpoint, Cluster: cfg.Cluster,
		Region: cfg.Region, AvailabilityZone: cfg.AvailabilityZone}, LogsHook{})
	if deps.Registry != nil {
		r.hooks = append(r.hooks, &NetworkHook{Registry: deps.Registry})
	}
	r.hooks = append(r.hooks, deps.Hooks...)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

func (r *Runner) stopTimeout(c *Container) time.Duration {
	if c.StopTimeout > 0 {
		return c.StopTimeout
	}
	return r.cfg.StopTimeout
}

// Apply hands the runner a task: a new one starts, a known one takes the
// new desired status and credentials. Hooks' Update runs before Apply
// returns (so credentials are served once the control plane is acked). A
// task the runner does not know that is desired STOPPED is reported
// STOPPED at once.
func (r *Runner) Apply(ctx context.Context, t Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	tr := r.tasks[t.ARN]
	if tr == nil && t.DesiredStatus == StatusStopped {
		r.mu.Unlock()
		r.report(&Snapshot{Task: &t, DesiredStatus: StatusStopped, KnownStatus: StatusStopped, Reason: "task unknown to the agent"})
		return nil
	}
	for _, h := range r.hooks {
		if u, ok := h.(Updater); ok {
			if err := u.Update(ctx, &t); err != nil {
				r.mu.Unlock()
				return fmt.Errorf("taskrunner: %s hook: %w", h.Name(), err)
			}
		}
	}
	if tr == nil {
		tr = newTaskRunner(r, t)
		tr.lastChange = tr.snapshot().stateChange()
		r.tasks[t.ARN] = tr
		r.wg.Add(1)
		go tr.run(r.ctx)
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	// Outside r.mu: the task's loop may need it (forget) while the send
	// waits for room.
	tr.send(event{kind: evUpdate, task: &t})
	return nil
}

// Stop asks for a task to stop (as Apply with desired STOPPED).
func (r *Runner) Stop(taskARN string) error {
	r.mu.Lock()
	closed, tr := r.closed, r.tasks[taskARN]
	r.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case tr == nil:
		return fmt.Errorf("taskrunner: task %s unknown", taskARN)
	}
	tr.send(event{kind: evStop})
	return nil
}

// Snapshots returns the current state of every task, sorted by ARN.
func (r *Runner) Snapshots() []StateChange {
	r.mu.Lock()
	trs := make([]*taskRunner, 0, len(r.tasks))
	for _, tr := range r.tasks {
		trs = append(trs, tr)
	}
	r.mu.Unlock()
	out := make([]StateChange, 0, len(trs))
	for _, tr := range trs {
		out = append(out, tr.last())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TaskARN < out[j].TaskARN })
	return out
}

// Close stops watching every task and returns once the runner's
// goroutines have ended. It does not stop, kill or remove any container,
// and it leaves the state file as it is: a new Runner's Restore picks the
// tasks up again (that is how an agent restart works).
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

func (r *Runner) forget(arn string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.tasks, arn)
}

func (r *Runner) report(s *Snapshot) {
	if r.deps.OnStateChange != nil {
		r.deps.OnStateChange(s.stateChange())
	}
}

func (r *Runner) pulledBefore(ref string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pulled[ref]
}

func (r *Runner) markPulled(ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pulled[ref] = true
}
