// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/simagent"
)

func runSimAgents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sim-agents", "Run N simulated container instances that speak the real agent protocol (register, ACS, TCS, Submit*) against a control plane. No containers run.", stdout)
	var cfg simagent.Config
	var awsOpts simagent.AWSOptions
	var attrs, azs, dataDir, logLevel, logFormat string
	var cpu, memory, exitCode, stopExitCode int
	var duration time.Duration
	fs.StringVar(&cfg.Endpoint, "endpoint", "http://127.0.0.1:4566", "control plane `URL`")
	fs.StringVar(&cfg.Cluster, "cluster", "default", "cluster `name` or ARN to join (only \"default\" is created when missing)")
	fs.IntVar(&cfg.Count, "count", 1, "`number` of instances")
	fs.IntVar(&cpu, "cpu", 2048, "CPU `units` per instance")
	fs.IntVar(&memory, "memory", 3800, "memory per instance in `MiB`")
	fs.StringVar(&attrs, "attributes", "", "extra instance attributes, `k=v,k2=v2`")
	fs.StringVar(&azs, "azs", "", "availability `zones` a,b,c spread round-robin as ecs.availability-zone")
	fs.DurationVar(&cfg.RunDuration, "run-duration", 0, "tasks exit on their own this `long` after RUNNING (0: until stopped)")
	fs.IntVar(&exitCode, "exit-code", 0, "exit `code` of tasks that exit on their own")
	fs.IntVar(&stopExitCode, "stop-exit-code", 143, "exit `code` of tasks stopped on request")
	fs.DurationVar(&cfg.StartDelay, "start-delay", 0, "`time` from PENDING to RUNNING")
	fs.BoolVar(&cfg.SkipPending, "skip-pending", false, "report RUNNING without a PENDING state change first")
	fs.BoolVar(&cfg.Telemetry, "tcs", false, "open a telemetry (TCS) session per instance too")
	fs.IntVar(&cfg.RegisterConcurrency, "register-concurrency", 32, "concurrent registrations")
	fs.IntVar(&cfg.SubmitConcurrency, "submit-concurrency", 64, "concurrent state changes")
	fs.DurationVar(&cfg.ProgressInterval, "progress-interval", 10*time.Second, "`interval` between progress logs")
	fs.DurationVar(&duration, "duration", 0, "stop after this `long` (0: until interrupted)")
	fs.StringVar(&awsOpts.Region, "region", "us-east-1", "AWS `region` to sign for")
	fs.StringVar(&awsOpts.Profile, "profile", "", "shared-config `profile` with the instances' credentials (default: the environment, else the root credentials file)")
	fs.StringVar(&dataDir, "data-dir", defaultDataDir(), "control plane data `directory` whose credentials file is used when no profile or environment keys are given")
	fs.StringVar(&awsOpts.CredentialsFile, "credentials-file", "", "credentials `file` (profile \"berth\"); default DATA_DIR/credentials")
	fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&logFormat, "log-format", "text", "log `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		return err
	}
	cfg.CPU, cfg.MemoryMiB = int32(cpu), int32(memory)
	cfg.ExitCode, cfg.StopExitCode = int32(exitCode), int32(stopExitCode)
	if cfg.Attributes, err = parseAttributes(attrs); err != nil {
		return err
	}
	if azs != "" {
		cfg.AZs = strings.Split(azs, ",")
	}
	if awsOpts.CredentialsFile == "" {
		awsOpts.CredentialsFile = filepath.Join(dataDir, "credentials")
	}
	awsOpts.MaxConns = cfg.SubmitConcurrency + cfg.RegisterConcurrency
	awsCfg, err := simagent.LoadAWSConfig(ctx, awsOpts)
	if err != nil {
		return err
	}
	fleet, err := simagent.New(cfg, simagent.Deps{AWS: awsCfg, Logger: logger})
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	logger.Info("starting simulated instances", "count", cfg.Count, "endpoint", cfg.Endpoint, "cluster", cfg.Cluster)
	if err := fleet.Run(ctx); err != nil {
		return err
	}
	s := fleet.Stats()
	logger.Info("simulated instances stopped", "registered", s.Registered, "tasks_running", s.TasksRunning,
		"tasks_stopped", s.TasksStopped, "state_changes", s.StateChanges, "submit_errors", s.SubmitErrors)
	return nil
}

// parseAttributes reads k=v,k2=v2.
func parseAttributes(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: --attributes %q: want k=v,k2=v2", errUsage, s)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}
