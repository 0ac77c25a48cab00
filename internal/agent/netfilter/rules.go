// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Rules is a set of packet-filter rules the agent owns.
type Rules interface {
	// Ensure installs whatever of the set is missing; it is idempotent.
	Ensure(ctx context.Context) error
	// Remove deletes every rule of the set (by its comment tag) and
	// restores the sysctls Ensure changed.
	Remove(ctx context.Context) error
	// Check returns the rules of the set that are not installed.
	Check(ctx context.Context) ([]Rule, error)
}

// Rule is one iptables rule.
type Rule struct {
	Table string // filter or nat
	Chain string
	// Insert puts the rule first in its chain (-I chain 1); otherwise it
	// is appended (-A).
	Insert bool
	// Spec is the rule's matches and target, without the comment match.
	Spec []string
}

// String renders the rule as an iptables command line (without the
// comment).
func (r Rule) String() string {
	op := "-A"
	if r.Insert {
		op = "-I"
	}
	return "-t " + r.Table + " " + op + " " + r.Chain + " " + strings.Join(r.Spec, " ")
}

// Config says which rules to keep.
type Config struct {
	// Comment tags every rule; Remove deletes the rules carrying exactly
	// it. Required: letters, digits, - _ . : only.
	Comment string
	// Lockdown blocks bridge containers from BlockTargets.
	Lockdown bool
	// BlockTargets are the metadata addresses to block; port 0 blocks
	// every port of the address, another port only TCP to it.
	BlockTargets []netip.AddrPort
	// BridgeInterfaces are the interfaces (iptables patterns, name+) the
	// lockdown applies to; empty means docker+ and br-+.
	BridgeInterfaces []string
	// ForwardChain is where the lockdown's forwarded-traffic rules go;
	// empty means DOCKER-USER when it exists, else FORWARD.
	ForwardChain string
	// CredentialsEndpoint is the address tasks are told (169.254.170.2:80);
	// the zero value installs no credentials plumbing.
	CredentialsEndpoint netip.AddrPort
	// CredentialsListen is where the task endpoint listens.
	CredentialsListen netip.AddrPort
	// LocalhostFilter adds the rule that lets only DNAT'd connections
	// from outside reach 127.0.0.0/8 (when CredentialsListen is loopback).
	LocalhostFilter bool
}

var commentRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,200}$`)

func (c *Config) validate() error {
	var errs []error
	if !commentRE.MatchString(c.Comment) {
		errs = append(errs, fmt.Errorf("netfilter: comment %q: want 1-200 of A-Z a-z 0-9 - _ . :", c.Comment))
	}
	for _, t := range c.BlockTargets {
		if !t.Addr().Is4() {
			errs = append(errs, fmt.Errorf("netfilter: block target %s: IPv4 only", t))
		}
	}
	if c.CredentialsEndpoint.IsValid() {
		if !c.CredentialsEndpoint.Addr().Is4() || !c.CredentialsListen.Addr().Is4() || c.CredentialsListen.Port() == 0 {
			errs = append(errs, fmt.Errorf("netfilter: credentials endpoint %s → %s: want IPv4 addresses with ports", c.CredentialsEndpoint, c.CredentialsListen))
		}
	}
	if len(c.BridgeInterfaces) == 0 {
		c.BridgeInterfaces = []string{"docker+", "br-+"}
	}
	return errors.Join(errs...)
}

// Plan returns the rules cfg asks for, in installation order. forward is
// the chain for forwarded-traffic rules (see Config.ForwardChain).
func Plan(cfg Config, forward string) []Rule {
	var out []Rule
	if cfg.Lockdown {
		for _, t := range cfg.BlockTargets {
			match := []string{"-d", t.Addr().String() + "/32"}
			if t.Port() != 0 {
				match = append(match, "-p", "tcp", "-m", "tcp", "--dport", strconv.Itoa(int(t.Port())))
			}
			for _, in := range cfg.BridgeInterfaces {
				spec := append(append([]string{"-i", in}, match...), "-j", "DROP")
				out = append(out,
					Rule{Table: "filter", Chain: forward, Insert: true, Spec: spec},
					Rule{Table: "filter", Chain: "INPUT", Insert: true, Spec: spec})
			}
		}
	}
	if ep, ln := cfg.CredentialsEndpoint, cfg.CredentialsListen; ep.IsValid() {
		match := []string{"-d", ep.Addr().String() + "/32", "-p", "tcp", "-m", "tcp", "--dport", strconv.Itoa(int(ep.Port()))}
		out = append(out, Rule{Table: "nat", Chain: "PREROUTING",
			Spec: slices.Concat(match, []string{"-j", "DNAT", "--to-destination", ln.String()})})
		if ln.Addr().IsLoopback() {
			out = append(out, Rule{Table: "nat", Chain: "OUTPUT",
				Spec: slices.Concat(match, []string{"-j", "REDIRECT", "--to-ports", strconv.Itoa(int(ln.Port()))})})
			if cfg.LocalhostFilter {
				out = append(out, Rule{Table: "filter", Chain: "INPUT", Insert: true, Spec: []string{
					"-d", "127.0.0.0/8", "!", "-s", "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP"}})
			}
		} else {
			out = append(out, Rule{Table: "nat", Chain: "OUTPUT",
				Spec: slices.Concat(match, []string{"-j", "DNAT", "--to-destination", ln.String()})})
		}
	}
	return out
}

// needsRouteLocalnet reports whether the plan DNATs to loopback.
func needsRouteLocalnet(cfg Config) bool {
	return cfg.CredentialsEndpoint.IsValid() && cfg.CredentialsListen.Addr().IsLoopback()
}

// splitRule splits an iptables -S / iptables-save line into arguments,
// honouring double quotes.
func splitRule(line string) []string {
	var out []string
	var cur strings.Builder
	inQ, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && inQ && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			inQ, have = !inQ, true
		case c == ' ' && !inQ:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// hasComment reports whether args carry --comment tag exactly.
func hasComment(args []string, tag string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--comment" && args[i+1] == tag {
			return true
		}
	}
	return false
}
