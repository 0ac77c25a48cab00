// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/logkey"
)

// Config describes a fleet. Zero values take the defaults noted.
type Config struct {
	// Endpoint is the control plane's URL; Cluster the cluster to join
	// ("default" when empty, created if missing).
	Endpoint string
	Cluster  string
	// Count is the number of instances.
	Count int
	// CPU (units, 2048) and MemoryMiB (3800) each instance registers.
	CPU       int32
	MemoryMiB int32
	// Attributes are added to every instance; AZs, when set, are spread
	// round-robin as ecs.availability-zone.
	Attributes map[string]string
	AZs        []string
	// RunDuration, when positive, makes tasks exit on their own that long
	// after RUNNING, with ExitCode. Tasks stopped on request report
	// StopExitCode.
	RunDuration  time.Duration
	ExitCode     int32
	StopExitCode int32
	// StartDelay is the time from PENDING to RUNNING.
	StartDelay time.Duration
	// SkipPending reports RUNNING without a PENDING change first.
	SkipPending bool
	// Telemetry opens a TCS session per instance too.
	Telemetry bool
	// RegisterConcurrency (32) and SubmitConcurrency (64) bound concurrent
	// registrations and state changes.
	RegisterConcurrency int
	SubmitConcurrency   int
	// ProgressInterval spaces progress logs (10 s); negative disables them.
	ProgressInterval time.Duration
	// AgentVersion is reported in the ACS URL ("berth-sim").
	AgentVersion string
	// Session tunes each ACS session (InstanceARN and callbacks are set
	// by the fleet).
	Session acs.SessionConfig
}

func (c Config) withDefaults() Config {
	if c.CPU == 0 {
		c.CPU = 2048
	}
	if c.MemoryMiB == 0 {
		c.MemoryMiB = 3800
	}
	if c.RegisterConcurrency <= 0 {
		c.RegisterConcurrency = 32
	}
	if c.SubmitConcurrency <= 0 {
		c.SubmitConcurrency = 64
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = 10 * time.Second
	}
	if c.AgentVersion == "" {
		c.AgentVersion = "berth-sim"
	}
	return c
}

// Deps are a fleet's collaborators.
type Deps struct {
	// AWS signs every call; its HTTP client is shared by all instances.
	AWS    aws.Config
	Logger *slog.Logger
}

// Stats are a fleet's counters.
type Stats struct {
	Registered     int64
	RegisterErrors int64
	Connected      int64
	TasksRunning   int64
	TasksStopped   int64
	StateChanges   int64
	SubmitErrors   int64
}

// Fleet is a set of simulated instances.
type Fleet struct {
	cfg    Config
	log    *slog.Logger
	client *acs.Client
	states *stateClient
	queue  *queue

	mu        sync.Mutex
	instances []*instance

	registered, registerErrors, connected   atomic.Int64
	running, stopped, changes, submitErrors atomic.Int64
}

// New returns a fleet; Run starts it.
func New(cfg Config, deps Deps) (*Fleet, error) {
	if cfg.Count <= 0 {
		return nil, errors.New("simagent: Count must be positive")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	cfg = cfg.withDefaults()
	f := &Fleet{cfg: cfg, log: deps.Logger, queue: newQueue()}
	f.client = acs.NewClient(deps.AWS, acs.ClientConfig{Endpoint: cfg.Endpoint, Cluster: cfg.Cluster, Logger: deps.Logger})
	f.states = newStateClient(cfg.Endpoint, f.client.Cluster(), deps.AWS, cfg.SubmitConcurrency)
	return f, nil
}

// Stats returns the current counters.
func (f *Fleet) Stats() Stats {
	return Stats{
		Registered: f.registered.Load(), RegisterErrors: f.registerErrors.Load(), Connected: f.connected.Load(),
		TasksRunning: f.running.Load(), TasksStopped: f.stopped.Load(),
		StateChanges: f.changes.Load(), SubmitErrors: f.submitErrors.Load(),
	}
}

// Instances returns the ARNs of the registered instances.
func (f *Fleet) Instances() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.instances))
	for _, in := range f.instances {
		out = append(out, in.arn)
	}
	return out
}

// Run registers the instances, keeps their sessions open and runs their
// tasks until ctx ends. It fails only if no instance could register.
func (f *Fleet) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	for i := 0; i < f.cfg.SubmitConcurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.submitLoop(workCtx)
		}()
	}
	if f.cfg.ProgressInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.progress(ctx)
		}()
	}
	defer func() {
		f.queue.close()
		stopWork()
		wg.Wait()
	}()
	if err := f.registerAll(ctx, &wg); err != nil {
		return err
	}
	f.logProgress("sim-agents registered")
	<-ctx.Done()
	return nil
}

// registerAll registers Count instances, RegisterConcurrency at a time,
// starting each one's sessions as soon as it is registered.
func (f *Fleet) registerAll(ctx context.Context, wg *sync.WaitGroup) error {
	sem := make(chan struct{}, f.cfg.RegisterConcurrency)
	var rwg sync.WaitGroup
	var lastErr atomic.Value
	for i := 0; i < f.cfg.Count && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		rwg.Add(1)
		first := i == 0
		do := func(i int) {
			defer rwg.Done()
			defer func() { <-sem }()
			in, err := f.register(ctx, i)
			if err != nil {
				f.registerErrors.Add(1)
				lastErr.Store(errBox{err}) // one concrete type, as atomic.Value needs
				if ctx.Err() == nil {
					f.log.Warn("simulated instance failed to register", "index", i, logkey.Err, err)
				}
				return
			}
			f.registered.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				in.run(ctx)
			}()
		}
		if first {
			do(i) // alone, so only one instance creates a missing default cluster
		} else {
			go do(i)
		}
	}
	rwg.Wait()
	if f.registered.Load() == 0 && ctx.Err() == nil {
		b, _ := lastErr.Load().(errBox)
		return fmt.Errorf("simagent: no instance registered: %w", b.err)
	}
	return nil
}

type errBox struct{ err error }

// register registers instance i.
func (f *Fleet) register(ctx context.Context, i int) (*instance, error) {
	attrs := capabilities()
	for k, v := range f.cfg.Attributes {
		attrs[k] = v
	}
	az := ""
	if n := len(f.cfg.AZs); n > 0 {
		az = f.cfg.AZs[i%n]
		attrs["ecs.availability-zone"] = az
	}
	reg, err := f.client.RegisterContainerInstance(ctx, acs.RegisterInput{
		CPU: f.cfg.CPU, MemoryMiB: f.cfg.MemoryMiB, ReservedPorts: acs.DefaultReservedPorts, Attributes: attrs,
	})
	if err != nil {
		return nil, err
	}
	in := newInstance(f, reg.ContainerInstanceARN)
	f.mu.Lock()
	f.instances = append(f.instances, in)
	f.mu.Unlock()
	return in, nil
}

func (f *Fleet) progress(ctx context.Context) {
	t := time.NewTicker(f.cfg.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.logProgress("sim-agents progress")
		}
	}
}

func (f *Fleet) logProgress(msg string) {
	s := f.Stats()
	f.log.Info(msg, "registered", s.Registered, "register_errors", s.RegisterErrors, "connected", s.Connected,
		"tasks_running", s.TasksRunning, "tasks_stopped", s.TasksStopped, "state_changes", s.StateChanges,
		"submit_errors", s.SubmitErrors, "queued", f.queue.len())
}
