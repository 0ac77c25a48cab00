// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	agentacs "github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/agent/bootstrap"
	"github.com/berthdev/berth/internal/agent/config"
	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker"
	"github.com/berthdev/berth/internal/agent/ecrauth"
	"github.com/berthdev/berth/internal/agent/imds"
	"github.com/berthdev/berth/internal/agent/logship"
	"github.com/berthdev/berth/internal/agent/netfilter"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/version"
)

// DefaultNetfilterComment tags the agent's iptables rules.
const DefaultNetfilterComment = "berth-agent"

// Config configures an Agent.
type Config struct {
	// Settings are the agent's configuration (ecs.config plus overrides);
	// BackendHost is required.
	Settings config.Config
	// JoinToken is the one-time token (RunInstances' berth:join-token tag)
	// used when the data dir holds no host secret yet.
	JoinToken string
	// Hostname and PrivateIP are reported when joining; empty means the
	// machine's hostname and the address of its default route.
	Hostname, PrivateIP string
	// NetfilterComment tags the iptables rules; empty means
	// DefaultNetfilterComment. Agents sharing a host need distinct ones.
	NetfilterComment string
	// Bootstrap, when set, is an ecs.config object in S3 that Run fetches
	// with the instance role once the metadata service is up; it replaces
	// Settings (which then hold only the flags and environment).
	Bootstrap *bootstrap.Config
}

// Deps are an Agent's collaborators; nil ones get real implementations.
type Deps struct {
	// Docker runs the containers; nil connects to Settings.DockerHost.
	Docker docker.Client
	// Rules keep the packet filter; nil means iptables when
	// Settings.Netfilter is on.
	Rules netfilter.Rules
	// HTTPClient reaches the control plane's host API.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Status is what a running Agent knows about itself.
type Status struct {
	InstanceID           string
	ClusterARN           string
	ContainerInstanceARN string
	// IMDSAddr and CredentialsAddr are where the metadata service and the
	// task credentials endpoint listen.
	IMDSAddr, CredentialsAddr string
	// RestoredTasks is how many tasks were reattached at start.
	RestoredTasks int
}

// Agent is berth's host agent. Run it once; it is safe to read Status and
// Ready concurrently.
type Agent struct {
	cfg  Config
	deps Deps
	log  *slog.Logger // the agent's own lines
	base *slog.Logger // handed to the packages, which add their service

	ready     chan struct{}
	readyOnce sync.Once
	mu        sync.Mutex
	status    Status
}

// New returns an Agent; it starts nothing.
func New(cfg Config, deps Deps) (*Agent, error) {
	if cfg.Settings.BackendHost == "" {
		return nil, errors.New("agent: no control plane endpoint: set ECS_BACKEND_HOST (or --endpoint)")
	}
	if cfg.NetfilterComment == "" {
		cfg.NetfilterComment = DefaultNetfilterComment
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Agent{cfg: cfg, deps: deps, log: log.With(logkey.Service, "agent"), base: log, ready: make(chan struct{})}, nil
}

// Ready is closed once the agent is registered and connected to ACS.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Status returns what the agent knows so far.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func (a *Agent) setStatus(f func(*Status)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(&a.status)
}

// Run runs the agent until ctx ends or a fatal error (a host that cannot
// join or authenticate, a lockdown that cannot be installed, a terminal
// registration error, a deregistered instance). It never stops running
// containers: on return they keep running and the next Run reattaches.
func (a *Agent) Run(ctx context.Context) error {
	// Deferred calls run last-in first-out: cancel ends the goroutines,
	// then wg.Wait waits for them (the other order deadlocks on errors).
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	goRun := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }

	s := a.cfg.Settings
	start := time.Now()
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return fmt.Errorf("agent: data dir: %w", err)
	}
	db, err := state.Open(state.Config{Path: filepath.Join(s.DataDir, "state.db")})
	if err != nil {
		return err
	}
	defer db.Close()

	host, err := a.hostIdentity(ctx)
	if err != nil {
		return err
	}
	a.setStatus(func(st *Status) { st.InstanceID = host.InstanceID })
	api := &HostAPI{Endpoint: s.BackendHost, Host: host, Client: a.deps.HTTPClient}
	region := s.Region
	if region == "" {
		region = host.Region
	}
	ident, err := api.Identity(ctx)
	if err != nil {
		return fmt.Errorf("agent: fetching the instance identity document as %s: %w", host.InstanceID, err)
	}
	inst := instanceFromDocument(ident.Document, host, region)

	// 1. The instance metadata service.
	ref, err := imds.NewRefresher(imds.RefresherConfig{}, imds.RefresherDeps{Source: api, Logger: a.base})
	if err != nil {
		return err
	}
	goRun(func() { ref.Run(ctx) })
	imdsSrv, err := imds.New(imds.Config{Instance: inst, AllowIMDSv1: s.IMDSv1 == config.IMDSv1Allow},
		imds.Deps{Credentials: ref, Identity: api, Logger: a.base})
	if err != nil {
		return err
	}
	if err := a.localIMDSAddr(ctx, s.IMDSAddr.Addr()); err != nil {
		return err
	}
	imdsLn, err := net.Listen("tcp", s.IMDSAddr.String())
	if err != nil {
		return fmt.Errorf("agent: instance metadata service: %w", err)
	}
	goRun(func() { _ = imdsSrv.Serve(ctx, imdsLn) })
	a.setStatus(func(st *Status) { st.IMDSAddr = imdsLn.Addr().String() })
	a.log.Info("instance metadata service listening", logkey.Addr, imdsLn.Addr().String(), "instance_id", host.InstanceID)

	// 2. The agent's own credentials: the SDK's default chain, from IMDS.
	awsCfg, err := a.loadAWSConfig(ctx, region, "http://"+imdsLn.Addr().String())
	if err != nil {
		return err
	}
	if b := a.cfg.Bootstrap; b != nil {
		if s, err = bootstrap.Load(ctx, *b, bootstrap.Deps{AWS: awsCfg, Endpoint: s.BackendHost, Logger: a.base}, s); err != nil {
			return err
		}
		a.cfg.Settings = s
		if s.Region != "" && s.Region != region {
			region, awsCfg.Region = s.Region, s.Region
		}
	}

	// 3. The packet filter: lockdown and the credentials DNAT.
	if err := a.startNetfilter(ctx, goRun); err != nil {
		return err
	}

	// 4. The task credentials and metadata endpoint.
	mgr, registry := creds.NewMemory(), creds.NewRegistry()
	dk, err := a.docker()
	if err != nil {
		return err
	}
	stats, _ := dk.(docker.StatsReader)
	credsSrv, err := creds.New(creds.Config{RateLimit: float64(s.TaskMetadataRPS), RateBurst: s.TaskMetadataBurst},
		creds.Deps{Credentials: mgr, Registry: registry, Stats: stats, Logger: a.base})
	if err != nil {
		return err
	}
	credsLn, err := net.Listen("tcp", s.CredentialsAddr.String())
	if err != nil {
		return fmt.Errorf("agent: task credentials endpoint: %w", err)
	}
	goRun(func() { _ = credsSrv.Serve(ctx, credsLn) })
	a.setStatus(func(st *Status) { st.CredentialsAddr = credsLn.Addr().String() })
	a.log.Info("task credentials endpoint listening", logkey.Addr, credsLn.Addr().String(), "tasks_use", s.CredentialsEndpoint.String())

	// 5. Registration.
	client := agentacs.NewClient(awsCfg, agentacs.ClientConfig{Endpoint: s.BackendHost, Cluster: s.Cluster, Logger: a.base})
	dockerVersion := a.dockerVersion(ctx, dk)
	reg, err := a.register(ctx, client, db, ident, host)
	if err != nil {
		return err
	}
	a.setStatus(func(st *Status) {
		st.ContainerInstanceARN, st.ClusterARN = reg.ContainerInstanceARN, reg.ClusterARN
	})

	// 6. The task runner, reattached to the containers it ran before.
	sub := newSubmitter(client, a.log)
	ecr, err := ecrauth.New(ecrauth.Config{Endpoint: s.BackendHost}, ecrauth.Deps{InstanceCredentials: awsCfg.Credentials,
		InstanceRoleARN: func(ctx context.Context) (string, error) { c, err := ref.Get(ctx); return c.RoleARN, err }, Logger: a.base})
	if err != nil {
		return err
	}
	var hooks []taskrunner.Hook
	if lf, ok := dk.(logship.Docker); ok {
		ship, err := logship.New(logship.Config{Endpoint: s.BackendHost, Region: region},
			logship.Deps{Docker: lf, InstanceCredentials: awsCfg.Credentials, Credentials: mgr, Positions: db, Logger: a.base})
		if err != nil {
			return err
		}
		defer ship.Close()
		hooks = append(hooks, ship)
	} else {
		a.log.Warn("the Docker client cannot follow container output: the logs of awslogs containers are not shipped")
	}
	runner, err := taskrunner.New(taskrunner.Config{
		Cluster: reg.ClusterARN, Region: region, AvailabilityZone: inst.AvailabilityZone,
		StopTimeout: s.ContainerStopTimeout, CleanupWait: s.TaskCleanupWait, PullBehavior: string(s.ImagePullBehavior),
		MetadataEndpoint: metadataEndpoint(s),
	}, taskrunner.Deps{Docker: dk, Credentials: mgr, Registry: registry, Store: db, Auth: ecr, Hooks: hooks, OnStateChange: sub.enqueue, Logger: a.base})
	if err != nil {
		return err
	}
	defer runner.Close()
	n, err := runner.Restore(ctx)
	if err != nil {
		return fmt.Errorf("agent: restoring tasks: %w", err)
	}
	a.setStatus(func(st *Status) { st.RestoredTasks = n })
	if n > 0 {
		a.log.Info("reattached running tasks", "tasks", n)
	}
	goRun(func() { sub.run(ctx) })

	// 7. ACS and TCS.
	eng := &engine{runner: runner, creds: mgr, log: a.log}
	session := agentacs.NewSession(client, agentacs.SessionConfig{
		InstanceARN: reg.ContainerInstanceARN, AgentVersion: version.String(), DockerVersion: dockerVersion,
		OnConnect: func() {
			a.log.Info("connected to ACS", "startup", time.Since(start).Round(time.Millisecond))
			a.readyOnce.Do(func() { close(a.ready) })
		},
		OnDisconnect: func(err error) { a.log.Info("ACS connection closed", logkey.Err, err) },
		OnConnectError: func(err error) {
			a.log.Error("cannot poll the control plane (ecs:Poll)", logkey.Err, describe(err))
		},
	}, agentacs.Handlers{Payload: eng, Credentials: eng, Manifest: eng})
	met := newMetrics(runner, registry, stats, 0, a.log)
	goRun(func() { met.run(ctx) })
	tel := agentacs.NewTelemetry(client, agentacs.TelemetryConfig{InstanceARN: reg.ContainerInstanceARN,
		AgentVersion: version.String(), DockerVersion: dockerVersion}, met)
	goRun(func() { _ = tel.Run(ctx) })
	err = session.Run(ctx)
	if ctx.Err() != nil {
		a.log.Info("agent stopping; running containers are left running and reattached on the next start")
		return nil
	}
	if errors.Is(err, agentacs.ErrInactiveInstance) {
		return fmt.Errorf("agent: the control plane says container instance %s is inactive (deregistered): %w", reg.ContainerInstanceARN, err)
	}
	return err
}

// hostIdentity loads the host secret, or joins with the token.
func (a *Agent) hostIdentity(ctx context.Context) (HostIdentity, error) {
	path := a.cfg.Settings.HostSecretFile
	id, ok, err := LoadHostIdentity(path)
	if err != nil {
		return HostIdentity{}, err
	}
	if ok {
		a.log.Info("host already joined", "instance_id", id.InstanceID)
		return id, nil
	}
	if a.cfg.JoinToken == "" {
		return HostIdentity{}, fmt.Errorf("agent: this host has not joined yet (no %s): pass --join-token (or BERTH_JOIN_TOKEN) with the berth:join-token tag of a RunInstances answer", path)
	}
	hostname, ip := a.cfg.Hostname, a.cfg.PrivateIP
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	if ip == "" {
		ip = defaultRouteIP()
	}
	api := &HostAPI{Endpoint: a.cfg.Settings.BackendHost, Client: a.deps.HTTPClient}
	id, err = api.Join(ctx, JoinRequest{Token: a.cfg.JoinToken, Hostname: hostname, PrivateIP: ip, Architecture: archName()})
	if err != nil {
		return HostIdentity{}, fmt.Errorf("agent: joining with the join token: %w", err)
	}
	if err := SaveHostIdentity(path, id); err != nil {
		return HostIdentity{}, err
	}
	a.log.Info("host joined", "instance_id", id.InstanceID, "secret_file", path)
	return id, nil
}

func (a *Agent) docker() (docker.Client, error) {
	if a.deps.Docker != nil {
		return a.deps.Docker, nil
	}
	eng, err := docker.New(docker.Config{Host: a.cfg.Settings.DockerHost})
	if err != nil {
		return nil, err
	}
	a.deps.Docker = eng
	return eng, nil
}

func (a *Agent) dockerVersion(ctx context.Context, dk docker.Client) string {
	p, ok := dk.(interface {
		Ping(context.Context) (string, error)
	})
	if !ok {
		return "unknown"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := p.Ping(ctx)
	if err != nil {
		a.log.Warn("Docker Engine does not answer", logkey.Err, err)
		return "unknown"
	}
	return v
}

// startNetfilter installs the rules and keeps them; a lockdown that
// cannot be installed is fatal (the agent fails closed).
func (a *Agent) startNetfilter(ctx context.Context, goRun func(func())) error {
	s := a.cfg.Settings
	rules := a.deps.Rules
	if rules == nil && !s.Netfilter {
		if s.MetadataLockdown {
			a.log.Warn("BERTH_NETFILTER=false: the agent installs no packet filter rules; containers are kept from the metadata service only if it listens where they cannot reach (loopback)")
		}
		return nil
	}
	if rules == nil {
		nfc := netfilter.Config{Comment: a.cfg.NetfilterComment, Lockdown: s.MetadataLockdown, BlockTargets: s.BlockTargets(),
			BridgeInterfaces: s.BridgeInterfaces, LocalhostFilter: s.LocalhostFilter}
		if s.CredentialsEndpoint != s.CredentialsAddr {
			nfc.CredentialsEndpoint, nfc.CredentialsListen = s.CredentialsEndpoint, s.CredentialsAddr
		}
		ipt, err := netfilter.NewIPTables(nfc, netfilter.Deps{Logger: a.base})
		if err != nil {
			return err
		}
		rules = ipt
	}
	started := make(chan error, 1)
	k := &netfilter.Keeper{Rules: rules, Interval: s.NetfilterInterval, Logger: a.base}
	goRun(func() { k.Run(ctx, started) })
	select {
	case err := <-started:
		if err != nil {
			return fmt.Errorf("agent: installing the packet filter rules (metadata lockdown %v, credentials endpoint %s): %w; run as root, or set BERTH_NETFILTER=false", s.MetadataLockdown, s.CredentialsEndpoint, err)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	a.log.Info("packet filter rules installed", "metadata_lockdown", s.MetadataLockdown, "blocked", fmt.Sprint(s.BlockTargets()),
		"credentials_endpoint", s.CredentialsEndpoint.String(), "recheck_every", s.NetfilterInterval)
	return nil
}

// metadataEndpoint is the host[:port] tasks are told for credentials and
// metadata.
func metadataEndpoint(s config.Config) string {
	if s.CredentialsEndpoint.Port() == 80 {
		return s.CredentialsEndpoint.Addr().String()
	}
	return s.CredentialsEndpoint.String()
}
