// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/agent"
	"github.com/berthdev/berth/internal/agent/config"
	"github.com/berthdev/berth/internal/controlplane"
	"github.com/berthdev/berth/internal/firstrun"
	"github.com/berthdev/berth/internal/sdkhttp"
)

// joinTokenTag is the RunInstances tag that carries a host's join token.
const joinTokenTag = "berth:join-token"

// upConfig is `berth up`'s configuration.
type upConfig struct {
	server    controlplane.Config
	imdsAddr  string
	credsAddr string
	netfilter string // auto, true, false
	lockdown  bool
}

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("up", "Run the control plane and a host agent on this machine, with the first-run setup done (ecsInstanceRole, its instance profile, cluster default): the quick start.\n"+
		"Idempotent: a restart reuses the data dir, the joined host and the cluster. Ctrl-C stops berth and leaves task containers running; the next `berth up` reattaches them.", stdout)
	var cfg upConfig
	var logLevel, logFormat string
	fs.StringVar(&cfg.server.Listen, "listen", "127.0.0.1:4566", "`address` to serve every AWS API on")
	fs.StringVar(&cfg.server.DataDir, "data-dir", defaultDataDir(), "`directory` for the store, the credentials file and the agent's state (DIR/agent)")
	fs.StringVar(&cfg.server.Region, "region", "us-east-1", "AWS `region`")
	fs.StringVar(&cfg.server.AccountID, "account-id", "000000000000", "12-digit AWS account `id`")
	fs.StringVar(&cfg.imdsAddr, "imds-addr", "127.0.0.1:51680", "`address` of the instance metadata service (a real host uses 169.254.169.254:80)")
	fs.StringVar(&cfg.credsAddr, "credentials-addr", "127.0.0.1:51679", "`address` of the task credentials endpoint (tasks are told 169.254.170.2, DNAT'd here)")
	fs.StringVar(&cfg.netfilter, "netfilter", "auto", "manage iptables (metadata lockdown, credentials DNAT): `auto` (when root), true or false")
	fs.BoolVar(&cfg.lockdown, "metadata-lockdown", true, "block bridge containers from the metadata service")
	fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&logFormat, "log-format", "text", "log `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, logLevel, logFormat)
	if err != nil {
		return err
	}
	return up(ctx, cfg, stdout, logger)
}

func up(ctx context.Context, cfg upConfig, stdout io.Writer, log *slog.Logger) error {
	start := time.Now()
	step := func(format string, a ...any) {
		fmt.Fprintf(stdout, "[%5.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	settings, err := upAgentSettings(cfg)
	if err != nil {
		return err
	}

	// 1. The control plane, in process.
	srv, err := controlplane.New(cfg.server, controlplane.Deps{Logger: log})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Close(sctx); err != nil {
			log.Error("stopping the control plane", "err", err)
		}
	}()
	endpoint := "http://" + srv.Addr()
	step("control plane ready at %s", endpoint)
	id, secret := srv.RootCredentials()
	root := aws.Config{Region: cfg.server.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, "")),
		HTTPClient:  sdkhttp.Client(nil)}

	// 2. First-run setup, as the account root, through the AWS APIs.
	rep, err := firstrun.Ensure(ctx, firstrun.FromSDK(iam.NewFromConfig(root), ecs.NewFromConfig(root)))
	if err != nil {
		return fmt.Errorf("first-run setup: %w\n%s", err, rep)
	}
	for _, s := range rep.Steps {
		step("setup: %s %s", s.Outcome, s.Title)
	}
	if !rep.Complete() {
		return fmt.Errorf("first-run setup incomplete:\n%s", rep)
	}

	// 3. This host joins (once): RunInstances with the profile → token.
	settings.BackendHost = endpoint
	var token string
	if _, joined, err := agent.LoadHostIdentity(settings.HostSecretFile); err != nil {
		return err
	} else if !joined {
		if token, err = launchHost(ctx, root); err != nil {
			return err
		}
		step("host launched with instance profile %s", firstrun.ProfileName)
	}

	// 4. The agent, against this machine's Docker.
	a, err := agent.New(agent.Config{Settings: settings, JoinToken: token}, agent.Deps{Logger: log})
	if err != nil {
		return err
	}
	actx, stopAgent := context.WithCancel(ctx)
	defer stopAgent()
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()
	select {
	case <-a.Ready():
	case err := <-done:
		if err == nil {
			err = ctx.Err()
		}
		return fmt.Errorf("agent: %w", err)
	}
	st := a.Status()
	step("agent registered %s and polling", st.ContainerInstanceARN)
	printUp(stdout, srv, cfg, st, time.Since(start))

	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "\nstopping berth; task containers keep running and are reattached by the next `berth up`")
	case err := <-done:
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	stopAgent()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		log.Error("agent", "err", err)
	}
	return nil
}

// upAgentSettings are the agent's settings for `berth up`: the Amazon ECS
// agent's defaults, the data dir under the control plane's, and local
// addresses safe on a laptop.
func upAgentSettings(cfg upConfig) (config.Config, error) {
	s := config.Default()
	dir, err := filepath.Abs(cfg.server.DataDir)
	if err != nil {
		return s, err
	}
	s.DataDir = filepath.Join(dir, "agent")
	s.HostSecretFile = filepath.Join(s.DataDir, "host-secret")
	s.Region = cfg.server.Region
	s.MetadataLockdown = cfg.lockdown
	if s.IMDSAddr, err = netip.ParseAddrPort(cfg.imdsAddr); err != nil {
		return s, fmt.Errorf("%w: --imds-addr: %v", errUsage, err)
	}
	if s.CredentialsAddr, err = netip.ParseAddrPort(cfg.credsAddr); err != nil {
		return s, fmt.Errorf("%w: --credentials-addr: %v", errUsage, err)
	}
	switch cfg.netfilter {
	case "auto":
		s.Netfilter = os.Geteuid() == 0
	case "true", "false":
		s.Netfilter = cfg.netfilter == "true"
	default:
		return s, fmt.Errorf("%w: --netfilter %q: want auto, true or false", errUsage, cfg.netfilter)
	}
	return s, nil
}

// launchHost runs one instance with the ecsInstanceRole profile and
// returns its join token.
func launchHost(ctx context.Context, root aws.Config) (string, error) {
	host, _ := os.Hostname()
	out, err := ec2.NewFromConfig(root).RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-berth"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(firstrun.ProfileName)},
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("berth-up " + host)}}}},
	})
	if err != nil {
		return "", fmt.Errorf("launching this host (ec2:RunInstances): %w", err)
	}
	for _, inst := range out.Instances {
		for _, t := range inst.Tags {
			if aws.ToString(t.Key) == joinTokenTag {
				return aws.ToString(t.Value), nil
			}
		}
	}
	return "", errors.New("launching this host: RunInstances returned no join token")
}

func printUp(w io.Writer, srv *controlplane.Server, cfg upConfig, st agent.Status, took time.Duration) {
	endpoint := "http://" + srv.Addr()
	var b strings.Builder
	fmt.Fprintf(&b, "\nberth is up (ready in %s)\n\n", took.Round(time.Millisecond))
	fmt.Fprintf(&b, "  endpoint            %s\n", endpoint)
	fmt.Fprintf(&b, "  credentials file    %s (profile berth, the account root)\n", srv.CredentialsFile())
	fmt.Fprintf(&b, "  console             %s/console/\n", endpoint)
	fmt.Fprintf(&b, "  cluster             %s\n", st.ClusterARN)
	fmt.Fprintf(&b, "  container instance  %s (%s)\n", st.ContainerInstanceARN, st.InstanceID)
	fmt.Fprintf(&b, "  instance metadata   http://%s (a real host serves it at 169.254.169.254)\n", st.IMDSAddr)
	fmt.Fprintf(&b, "  task credentials    http://%s (tasks are told 169.254.170.2)\n", st.CredentialsAddr)
	if st.RestoredTasks > 0 {
		fmt.Fprintf(&b, "  reattached tasks    %d\n", st.RestoredTasks)
	}
	fmt.Fprintf(&b, "\nNext steps (AWS CLI):\n")
	fmt.Fprintf(&b, "  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=berth AWS_REGION=%s AWS_ENDPOINT_URL=%s\n",
		srv.CredentialsFile(), cfg.server.Region, endpoint)
	fmt.Fprintf(&b, "  aws ecs list-container-instances\n")
	fmt.Fprintf(&b, "  aws ecs register-task-definition --family hello --container-definitions '[{\"name\":\"web\",\"image\":\"nginx\",\"memory\":128,\"portMappings\":[{\"containerPort\":80}]}]'\n")
	fmt.Fprintf(&b, "  aws ecs run-task --task-definition hello\n")
	fmt.Fprintf(&b, "\nCtrl-C stops berth; task containers keep running and are reattached by the next `berth up`.\n")
	fmt.Fprint(w, b.String())
}
