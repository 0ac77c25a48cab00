// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berthdev/berth/internal/logkey"
)

// Exec runs a command and returns its combined output. An error carrying
// an exit status (*exec.ExitError, or anything with ExitCode() int) lets
// IPTables tell "rule absent" (status 1 from -C) from a failure.
type Exec func(ctx context.Context, name string, args ...string) ([]byte, error)

// Deps are the collaborators of IPTables.
type Deps struct {
	// Exec runs iptables and iptables-save; nil runs them for real.
	Exec Exec
	// SysctlDir is the root of the sysctl tree; empty means /proc/sys.
	SysctlDir string
	Logger    *slog.Logger
}

// IPTables keeps a Config's rules with iptables. It is safe for concurrent
// use (calls are serialised).
type IPTables struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	mu               sync.Mutex
	routeLocalnetWas string // value before Ensure changed it; "" if untouched
}

var _ Rules = (*IPTables)(nil)

// NewIPTables returns the iptables implementation of Rules for cfg.
func NewIPTables(cfg Config, deps Deps) (*IPTables, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.Exec == nil {
		deps.Exec = realExec
	}
	if deps.SysctlDir == "" {
		deps.SysctlDir = "/proc/sys"
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &IPTables{cfg: cfg, deps: deps, log: log.With(logkey.Service, "netfilter")}, nil
}

func realExec(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

func (t *IPTables) iptables(ctx context.Context, args ...string) ([]byte, error) {
	return t.deps.Exec(ctx, "iptables", append([]string{"-w", "5"}, args...)...)
}

// forwardChain resolves Config.ForwardChain.
func (t *IPTables) forwardChain(ctx context.Context) string {
	if t.cfg.ForwardChain != "" {
		return t.cfg.ForwardChain
	}
	if _, err := t.iptables(ctx, "-t", "filter", "-S", "DOCKER-USER"); err == nil {
		return "DOCKER-USER"
	}
	return "FORWARD"
}

func (t *IPTables) plan(ctx context.Context) []Rule { return Plan(t.cfg, t.forwardChain(ctx)) }

func (t *IPTables) withComment(r Rule) []string {
	return append(append([]string(nil), r.Spec...), "-m", "comment", "--comment", t.cfg.Comment)
}

// present reports whether r is installed (iptables -C).
func (t *IPTables) present(ctx context.Context, r Rule) (bool, error) {
	_, err := t.iptables(ctx, append([]string{"-t", r.Table, "-C", r.Chain}, t.withComment(r)...)...)
	if err == nil {
		return true, nil
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) && ec.ExitCode() == 1 {
		return false, nil
	}
	return false, fmt.Errorf("netfilter: check %s: %w", r, err)
}

// Ensure implements Rules.
func (t *IPTables) Ensure(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if needsRouteLocalnet(t.cfg) {
		if err := t.setRouteLocalnet(); err != nil {
			return err
		}
	}
	var errs []error
	for _, r := range t.plan(ctx) {
		ok, err := t.present(ctx, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			continue
		}
		op := []string{"-t", r.Table, "-A", r.Chain}
		if r.Insert {
			op = []string{"-t", r.Table, "-I", r.Chain, "1"}
		}
		if _, err := t.iptables(ctx, append(op, t.withComment(r)...)...); err != nil {
			errs = append(errs, fmt.Errorf("netfilter: add %s: %w", r, err))
			continue
		}
		t.log.Info("installed rule", "rule", r.String())
	}
	return errors.Join(errs...)
}

// Check implements Rules.
func (t *IPTables) Check(ctx context.Context) ([]Rule, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var missing []Rule
	var errs []error
	for _, r := range t.plan(ctx) {
		ok, err := t.present(ctx, r)
		if err != nil {
			errs = append(errs, err)
		} else if !ok {
			missing = append(missing, r)
		}
	}
	return missing, errors.Join(errs...)
}

// Remove implements Rules: it deletes every rule, in any chain of the
// filter and nat tables, that carries the configured comment.
func (t *IPTables) Remove(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for _, table := range []string{"filter", "nat"} {
		out, err := t.deps.Exec(ctx, "iptables-save", "-t", table)
		if err != nil {
			errs = append(errs, fmt.Errorf("netfilter: iptables-save -t %s: %w", table, err))
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			args := splitRule(sc.Text())
			if len(args) < 3 || args[0] != "-A" || !hasComment(args, t.cfg.Comment) {
				continue
			}
			del := append([]string{"-t", table, "-D"}, args[1:]...)
			if _, err := t.iptables(ctx, del...); err != nil {
				errs = append(errs, fmt.Errorf("netfilter: delete %s: %w", strings.Join(args, " "), err))
				continue
			}
			t.log.Info("removed rule", "rule", "-t "+table+" "+strings.Join(args, " "))
		}
	}
	if t.routeLocalnetWas != "" {
		if err := t.writeSysctl(routeLocalnet, t.routeLocalnetWas); err != nil {
			errs = append(errs, err)
		} else {
			t.routeLocalnetWas = ""
		}
	}
	return errors.Join(errs...)
}

const routeLocalnet = "net/ipv4/conf/all/route_localnet"

func (t *IPTables) setRouteLocalnet() error {
	cur, err := os.ReadFile(filepath.Join(t.deps.SysctlDir, routeLocalnet))
	if err != nil {
		return fmt.Errorf("netfilter: read sysctl: %w", err)
	}
	v := strings.TrimSpace(string(cur))
	if v == "1" {
		return nil
	}
	if err := t.writeSysctl(routeLocalnet, "1"); err != nil {
		return err
	}
	if t.routeLocalnetWas == "" {
		t.routeLocalnetWas = v
	}
	t.log.Info("set sysctl", "key", "net.ipv4.conf.all.route_localnet", "value", "1", "was", v)
	return nil
}

func (t *IPTables) writeSysctl(key, v string) error {
	if err := os.WriteFile(filepath.Join(t.deps.SysctlDir, key), []byte(v+"\n"), 0o644); err != nil {
		return fmt.Errorf("netfilter: write sysctl %s: %w", key, err)
	}
	return nil
}
