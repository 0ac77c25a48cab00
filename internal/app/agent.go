// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/berthdev/berth/internal/agent"
	"github.com/berthdev/berth/internal/agent/bootstrap"
	"github.com/berthdev/berth/internal/agent/config"
)

// agentFlags are the flags of `berth agent` that override ecs.config and
// the environment (each maps to a configuration key).
type agentFlags struct {
	configPath string
	configSet  bool
	joinToken  string
	keys       map[string]*string // config key → flag value ("" = unset)
	flagOf     map[string]string  // config key → flag name
	lockdown   string
	logFormat  string
	comment    string
}

func (f *agentFlags) register(fs *flag.FlagSet) {
	fs.Func("config", "agent configuration `file` or s3://bucket/key (ECS agent KEY=VALUE format; env BERTH_AGENT_CONFIG; default "+config.DefaultPath+" when it exists); an s3:// object is fetched with the instance role's credentials from the --endpoint control plane", func(s string) error {
		f.configPath, f.configSet = s, true
		return nil
	})
	fs.StringVar(&f.joinToken, "join-token", os.Getenv("BERTH_JOIN_TOKEN"), "one-time join `token` (RunInstances' berth:join-token tag; env BERTH_JOIN_TOKEN), needed only until the host has joined")
	f.keys, f.flagOf = map[string]*string{}, map[string]string{}
	for _, k := range []struct{ flag, key, usage string }{
		{"endpoint", "ECS_BACKEND_HOST", "control plane `URL` (ECS_BACKEND_HOST)"},
		{"cluster", "ECS_CLUSTER", "cluster `name` or ARN (ECS_CLUSTER; default: default, created if the role allows ecs:CreateCluster)"},
		{"data-dir", "ECS_DATADIR", "agent state `directory` (ECS_DATADIR; default /var/lib/berth/agent)"},
		{"region", "AWS_DEFAULT_REGION", "AWS `region` (default: the control plane's)"},
		{"imds-addr", "BERTH_IMDS_ADDR", "`address` of the instance metadata service (BERTH_IMDS_ADDR; default 169.254.169.254:80, assigned to the berth-imds dummy link when no interface has it)"},
		{"credentials-addr", "BERTH_CREDENTIALS_ADDR", "`address` the task credentials endpoint listens on (BERTH_CREDENTIALS_ADDR; default 127.0.0.1:51679)"},
		{"credentials-endpoint", "BERTH_CREDENTIALS_ENDPOINT", "`address` tasks are told for credentials (BERTH_CREDENTIALS_ENDPOINT; default 169.254.170.2:80, DNAT'd to --credentials-addr)"},
		{"netfilter", "BERTH_NETFILTER", "manage iptables rules at all: `true|false` (BERTH_NETFILTER)"},
		{"log-level", "ECS_LOGLEVEL", "log `level`: debug, info, warn or error (ECS_LOGLEVEL)"},
	} {
		v := new(string)
		f.keys[k.key], f.flagOf[k.key] = v, k.flag
		fs.StringVar(v, k.flag, "", k.usage)
	}
	fs.StringVar(&f.lockdown, "metadata-lockdown", "", "block bridge containers from the metadata service: `true|false` (BERTH_METADATA_LOCKDOWN; default true)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json")
	fs.StringVar(&f.comment, "netfilter-comment", agent.DefaultNetfilterComment, "iptables `comment` tagging the agent's rules (distinct per agent when several share a host)")
}

// settings loads the configuration file, then the environment, then the
// flags, each overriding the one before. For an s3:// location it loads
// the environment and flags only and returns what the agent fetches once
// its metadata service is up.
func (f *agentFlags) settings() (config.Config, *bootstrap.Config, error) {
	path := f.configPath
	if !f.configSet {
		path = os.Getenv("BERTH_AGENT_CONFIG")
	}
	if path == "" {
		if _, err := os.Stat(config.DefaultPath); err == nil {
			path = config.DefaultPath
		}
	}
	env := os.Environ()
	for k, v := range f.keys {
		if *v != "" {
			env = append(env, k+"="+*v)
		}
	}
	if f.lockdown != "" {
		if _, err := strconv.ParseBool(f.lockdown); err != nil {
			return config.Config{}, nil, fmt.Errorf("%w: --metadata-lockdown %q: want true or false", errUsage, f.lockdown)
		}
		env = append(env, "BERTH_METADATA_LOCKDOWN="+f.lockdown)
	}
	if !bootstrap.IsLocation(path) {
		s, err := config.Load(path, env)
		if err != nil {
			err = f.flagError(err)
		}
		return s, nil, err
	}
	loc, err := bootstrap.ParseLocation(path)
	if err != nil {
		return config.Config{}, nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	s, err := config.Load("", env)
	return s, &bootstrap.Config{Location: loc, Environ: env}, err
}

// flagError turns a configuration error caused by a flag's value alone
// into a usage error naming the flag; other errors are returned as they
// are.
func (f *agentFlags) flagError(err error) error {
	for k, v := range f.keys {
		if *v == "" {
			continue
		}
		if _, ferr := config.FromValues(map[string]string{k: *v}); ferr != nil {
			return fmt.Errorf("%w: --%s %q: %v", errUsage, f.flagOf[k], *v, ferr)
		}
	}
	return err
}

func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("agent", "Run the berth host agent: instance metadata service, ECS agent (register, ACS, TCS, Submit*), task credentials endpoint, Docker task runner and netfilter rules.\n"+
		"Configuration: "+config.DefaultPath+" (or --config), overridden by the environment, overridden by flags.", stdout)
	var f agentFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, remote, err := f.settings()
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, s.LogLevel.String(), f.logFormat)
	if err != nil {
		return err
	}
	if len(s.Ignored) > 0 {
		logger.Info("ignoring ECS agent settings berth does not use", "keys", fmt.Sprint(s.Ignored))
	}
	a, err := agent.New(agent.Config{Settings: s, Bootstrap: remote, JoinToken: f.joinToken, NetfilterComment: f.comment}, agent.Deps{Logger: logger})
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	err = a.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
