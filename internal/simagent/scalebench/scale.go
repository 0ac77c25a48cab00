// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scalebench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/simagent"
)

// Config sizes a run. Zero values take the defaults noted.
type Config struct {
	// Endpoint is the control plane; AccessKeyID and Secret an identity
	// allowed everything (the account root).
	Endpoint, Region    string
	AccessKeyID, Secret string
	Cluster             string        // "bench"
	Instances, Tasks    int           // 5,000 and 100,000
	Clients             int           // concurrent RunTask callers (16)
	Count               int           // tasks per RunTask (10)
	Queries             int           // DescribeTasks and ListTasks calls each (200)
	SkipPending         bool          // report RUNNING without PENDING first
	RegisterConcurrency int           // of the fleet (64)
	SubmitConcurrency   int           // of the fleet's state changes (256)
	ControlPlanePID     int           // whose peak memory to report (0: none)
	Timeout             time.Duration // for each phase (30 min)
	ProgressInterval    time.Duration
	Logger              *slog.Logger
	// TaskCPU and TaskMemory size each task (64 units, 128 MiB);
	// InstanceCPU and InstanceMemory each instance (2048 units, 3800 MiB).
	TaskCPU, TaskMemory         int32
	InstanceCPU, InstanceMemory int32
}

func (c Config) withDefaults() Config {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.Instances, 5000)
	def(&c.Tasks, 100000)
	def(&c.Clients, 16)
	def(&c.Count, 10)
	def(&c.Queries, 200)
	def(&c.RegisterConcurrency, 64)
	def(&c.SubmitConcurrency, 256)
	if c.Cluster == "" {
		c.Cluster = "bench"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TaskCPU == 0 {
		c.TaskCPU = 64
	}
	if c.TaskMemory == 0 {
		c.TaskMemory = 128
	}
	if c.InstanceCPU == 0 {
		c.InstanceCPU = 2048
	}
	if c.InstanceMemory == 0 {
		c.InstanceMemory = 3800
	}
	return c
}

// Result is what a run measured.
type Result struct {
	Instances, Tasks, Placed, Failures, RunTaskErrors int
	// Connected is the time until every instance registered and connected.
	Connected time.Duration
	// Placement is the RunTask phase, from the first call to the last
	// answer; PlacementsPerSec is Placed over it.
	Placement        time.Duration
	PlacementsPerSec float64
	// ToRunning is the time from the first RunTask until every placed
	// task was reported RUNNING.
	ToRunning              time.Duration
	RunTaskP50, RunTaskP99 time.Duration
	DescribeTasksP99       time.Duration
	ListTasksP99           time.Duration
	// ControlPlanePeakRSS and SimPeakRSS are VmHWM in bytes (0: unknown).
	ControlPlanePeakRSS, SimPeakRSS int64
	// ControlPlaneCPU and SimCPU are the CPU time (user+system) the
	// control plane process and this process (the simulator and the
	// RunTask clients; with the control plane when in process) used from
	// the first RunTask until every task was RUNNING.
	ControlPlaneCPU, SimCPU    time.Duration
	StateChanges, SubmitErrors int64
}

func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "instances                %d (registered and connected in %v)\n", r.Instances, r.Connected.Round(time.Millisecond))
	fmt.Fprintf(&b, "tasks                    %d placed of %d (%d placement failures, %d RunTask errors)\n", r.Placed, r.Tasks, r.Failures, r.RunTaskErrors)
	fmt.Fprintf(&b, "placement                %v, %.0f placements/s\n", r.Placement.Round(time.Millisecond), r.PlacementsPerSec)
	fmt.Fprintf(&b, "all RUNNING after        %v\n", r.ToRunning.Round(time.Millisecond))
	fmt.Fprintf(&b, "RunTask p50 / p99        %v / %v\n", r.RunTaskP50.Round(time.Microsecond), r.RunTaskP99.Round(time.Microsecond))
	fmt.Fprintf(&b, "DescribeTasks p99        %v (100 tasks per call)\n", r.DescribeTasksP99.Round(time.Microsecond))
	fmt.Fprintf(&b, "ListTasks p99            %v\n", r.ListTasksP99.Round(time.Microsecond))
	fmt.Fprintf(&b, "state changes            %d (%d failed attempts)\n", r.StateChanges, r.SubmitErrors)
	if r.Placed > 0 {
		perTask := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.Placed) }
		fmt.Fprintf(&b, "CPU until all RUNNING    control plane %v (%.0f µs/task), simulator+clients %v (%.0f µs/task)\n",
			r.ControlPlaneCPU.Round(10*time.Millisecond), perTask(r.ControlPlaneCPU), r.SimCPU.Round(10*time.Millisecond), perTask(r.SimCPU))
	}
	fmt.Fprintf(&b, "control plane peak RSS   %d MiB\n", r.ControlPlanePeakRSS>>20)
	fmt.Fprintf(&b, "simulator peak RSS       %d MiB\n", r.SimPeakRSS>>20)
	return b.String()
}

// Run performs one measurement against a running control plane.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	res := &Result{Instances: cfg.Instances, Tasks: cfg.Tasks}
	clientAWS := simagent.StaticAWSConfig(cfg.Region, cfg.AccessKeyID, cfg.Secret, cfg.Clients)
	api := ecs.NewFromConfig(clientAWS, func(o *ecs.Options) { o.BaseEndpoint = aws.String(cfg.Endpoint) })
	if err := setup(ctx, api, cfg); err != nil {
		return nil, err
	}

	fleet, err := simagent.New(simagent.Config{
		Endpoint: cfg.Endpoint, Cluster: cfg.Cluster, Count: cfg.Instances, CPU: cfg.InstanceCPU, MemoryMiB: cfg.InstanceMemory,
		AZs: []string{cfg.Region + "a", cfg.Region + "b", cfg.Region + "c"}, SkipPending: cfg.SkipPending, StopExitCode: 143,
		RegisterConcurrency: cfg.RegisterConcurrency, SubmitConcurrency: cfg.SubmitConcurrency, ProgressInterval: cfg.ProgressInterval,
	}, simagent.Deps{
		AWS:    simagent.StaticAWSConfig(cfg.Region, cfg.AccessKeyID, cfg.Secret, cfg.RegisterConcurrency+cfg.SubmitConcurrency),
		Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	fctx, stopFleet := context.WithCancel(ctx)
	fleetDone := make(chan struct{})
	var fleetErr error
	go func() {
		defer close(fleetDone)
		fleetErr = fleet.Run(fctx)
	}()
	defer func() { stopFleet(); <-fleetDone }()
	stopped := func() error { <-fleetDone; return fleetErr }

	start := time.Now()
	if err := waitUntil(ctx, cfg.Timeout, fleetDone, stopped, func() bool { return fleet.Stats().Connected >= int64(cfg.Instances) }); err != nil {
		return nil, fmt.Errorf("scalebench: waiting for %d instances to connect (%+v): %w", cfg.Instances, fleet.Stats(), err)
	}
	res.Connected = time.Since(start)
	cfg.Logger.Info("scalebench: instances connected", "instances", cfg.Instances, "after", res.Connected)

	cpu0, cpCPU0 := CPUTime(0), time.Duration(0)
	if cfg.ControlPlanePID != 0 {
		cpCPU0 = CPUTime(cfg.ControlPlanePID)
	}
	arns, t0, err := place(ctx, api, cfg, res)
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("scalebench: tasks placed", "placed", res.Placed, "failures", res.Failures, "in", res.Placement,
		"placements_per_s", int(res.PlacementsPerSec))
	if err := waitUntil(ctx, cfg.Timeout, fleetDone, stopped, func() bool { return fleet.Stats().TasksRunning >= int64(res.Placed) }); err != nil {
		return nil, fmt.Errorf("scalebench: waiting for %d tasks to run (%+v): %w", res.Placed, fleet.Stats(), err)
	}
	res.ToRunning = time.Since(t0)
	res.SimCPU = CPUTime(0) - cpu0
	if cfg.ControlPlanePID != 0 {
		res.ControlPlaneCPU = CPUTime(cfg.ControlPlanePID) - cpCPU0
	}
	cfg.Logger.Info("scalebench: tasks running", "tasks", res.Placed, "after", res.ToRunning)

	if err := query(ctx, api, cfg, arns, fleet.Instances(), res); err != nil {
		return nil, err
	}
	s := fleet.Stats()
	res.StateChanges, res.SubmitErrors = s.StateChanges, s.SubmitErrors
	if cfg.ControlPlanePID != 0 {
		res.ControlPlanePeakRSS = PeakRSS(cfg.ControlPlanePID)
	}
	res.SimPeakRSS = PeakRSS(0)
	return res, nil
}

// setup creates the cluster and the task definition.
func setup(ctx context.Context, api *ecs.Client, cfg Config) error {
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cfg.Cluster)}); err != nil {
		return fmt.Errorf("scalebench: create cluster: %w", err)
	}
	_, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("bench"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("busybox"), Essential: aws.Bool(true),
			Cpu: cfg.TaskCPU, Memory: aws.Int32(cfg.TaskMemory),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}}})
	if err != nil {
		return fmt.Errorf("scalebench: register task definition: %w", err)
	}
	return nil
}

// callTimeout bounds one API call of the benchmark.
const callTimeout = 2 * time.Minute

// place runs RunTask from Clients goroutines until Tasks are requested.
func place(ctx context.Context, api *ecs.Client, cfg Config, res *Result) ([]string, time.Time, error) {
	var (
		next              atomic.Int64
		mu                sync.Mutex
		arns              = make([]string, 0, cfg.Tasks)
		lat               latencies
		failures, errs    atomic.Int64
		firstFail         atomic.Value
		wg                sync.WaitGroup
		calls             = (cfg.Tasks + cfg.Count - 1) / cfg.Count
		consecutiveErrors atomic.Int64
	)
	t0 := time.Now()
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(calls) || ctx.Err() != nil || consecutiveErrors.Load() > 100 {
					return
				}
				n := min(cfg.Count, cfg.Tasks-int(i)*cfg.Count)
				s := time.Now()
				cctx, cancel := context.WithTimeout(ctx, callTimeout)
				out, err := api.RunTask(cctx, &ecs.RunTaskInput{Cluster: aws.String(cfg.Cluster), TaskDefinition: aws.String("bench"), Count: aws.Int32(int32(n))})
				cancel()
				lat.add(time.Since(s))
				if err != nil {
					errs.Add(1)
					consecutiveErrors.Add(1)
					firstFail.CompareAndSwap(nil, err.Error())
					continue
				}
				consecutiveErrors.Store(0)
				failures.Add(int64(len(out.Failures)))
				if len(out.Failures) > 0 {
					firstFail.CompareAndSwap(nil, aws.ToString(out.Failures[0].Reason))
				}
				mu.Lock()
				for _, t := range out.Tasks {
					arns = append(arns, aws.ToString(t.TaskArn))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Placement = time.Since(t0)
	res.Placed, res.Failures, res.RunTaskErrors = len(arns), int(failures.Load()), int(errs.Load())
	res.PlacementsPerSec = float64(res.Placed) / res.Placement.Seconds()
	res.RunTaskP50, res.RunTaskP99 = lat.percentile(50), lat.percentile(99)
	if f, ok := firstFail.Load().(string); ok {
		cfg.Logger.Warn("scalebench: some placements failed", "first", f)
	}
	if res.Placed == 0 {
		return nil, t0, errors.New("scalebench: no task was placed")
	}
	return arns, t0, ctx.Err()
}

// query times DescribeTasks (100 random tasks per call) and ListTasks (the
// cluster's first page, or one instance's tasks) at the fleet's size.
func query(ctx context.Context, api *ecs.Client, cfg Config, arns, instances []string, res *Result) error {
	var describe, list latencies
	var next atomic.Int64
	var errOnce sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(2*cfg.Queries) || ctx.Err() != nil {
					return
				}
				s := time.Now()
				var err error
				cctx, cancel := context.WithTimeout(ctx, callTimeout)
				if i%2 == 0 {
					batch := make([]string, 0, 100)
					for range min(100, len(arns)) {
						batch = append(batch, arns[rand.IntN(len(arns))])
					}
					_, err = api.DescribeTasks(cctx, &ecs.DescribeTasksInput{Cluster: aws.String(cfg.Cluster), Tasks: batch})
					describe.add(time.Since(s))
				} else {
					in := &ecs.ListTasksInput{Cluster: aws.String(cfg.Cluster), MaxResults: aws.Int32(100)}
					if i%4 == 3 && len(instances) > 0 {
						in.ContainerInstance = aws.String(instances[rand.IntN(len(instances))])
					}
					_, err = api.ListTasks(cctx, in)
					list.add(time.Since(s))
				}
				cancel()
				if err != nil {
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	res.DescribeTasksP99, res.ListTasksP99 = describe.percentile(99), list.percentile(99)
	if firstErr != nil {
		return fmt.Errorf("scalebench: queries: %w", firstErr)
	}
	return nil
}

// waitUntil polls cond until it holds, the fleet stops, or timeout passes.
func waitUntil(ctx context.Context, timeout time.Duration, fleetDone <-chan struct{}, fleetErr func() error, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-fleetDone:
			return fmt.Errorf("the fleet stopped: %v", fleetErr())
		case <-deadline.C:
			return errors.New("timed out")
		case <-tick.C:
		}
	}
	return nil
}
