// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package netfilter

import (
	"context"
	"sync"
)

// Fake is an in-memory Rules for tests of code that uses Rules: Ensure
// "installs" the planned rules, Remove deletes them, Flush simulates an
// external flush. Safe for concurrent use.
type Fake struct {
	mu        sync.Mutex
	planned   []Rule
	installed map[string]bool
	ensures   int
	removes   int
	// EnsureErr, when set, is returned by Ensure.
	EnsureErr error
}

var _ Rules = (*Fake)(nil)

// NewFake returns a Fake keeping the rules Plan(cfg, "DOCKER-USER") gives.
func NewFake(cfg Config) *Fake {
	_ = cfg.validate()
	return &Fake{planned: Plan(cfg, "DOCKER-USER"), installed: map[string]bool{}}
}

// Ensure implements Rules.
func (f *Fake) Ensure(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ensures++
	if f.EnsureErr != nil {
		return f.EnsureErr
	}
	for _, r := range f.planned {
		f.installed[r.String()] = true
	}
	return nil
}

// Remove implements Rules.
func (f *Fake) Remove(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removes++
	f.installed = map[string]bool{}
	return nil
}

// Check implements Rules.
func (f *Fake) Check(context.Context) ([]Rule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []Rule
	for _, r := range f.planned {
		if !f.installed[r.String()] {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

// Flush drops every installed rule, as `iptables -F` would.
func (f *Fake) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.installed = map[string]bool{}
}

// Installed returns the installed rules, as Rule.String values.
func (f *Fake) Installed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.planned {
		if f.installed[r.String()] {
			out = append(out, r.String())
		}
	}
	return out
}

// Counts returns how many times Ensure and Remove ran.
func (f *Fake) Counts() (ensures, removes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ensures, f.removes
}
