// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/berthdev/berth/internal/logkey"
)

// RoleType says what a task uses credentials for, as ACS names it.
type RoleType string

// Role types.
const (
	// RoleTaskApplication credentials are the task role's, for the
	// application in the containers.
	RoleTaskApplication RoleType = "TaskApplication"
	// RoleTaskExecution credentials are the execution role's, for the
	// agent and dockerd (image pulls, awslogs).
	RoleTaskExecution RoleType = "TaskExecution"
)

// Credentials are temporary role credentials as the control plane sent
// them. The zero AccessKeyID marks credentials that are expected but not
// yet received (after an agent restart, until ACS resends them).
type Credentials struct {
	RoleARN         string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expiration is echoed verbatim to containers: RFC 3339 UTC.
	Expiration string
}

// Pending reports whether the credentials are expected but not received.
func (c Credentials) Pending() bool { return c.AccessKeyID == "" }

// Entry is one credentials id and what it belongs to.
type Entry struct {
	ID          string
	TaskARN     string
	RoleType    RoleType
	Credentials Credentials
}

// ErrIDConflict means a credentials id is already bound to another task.
var ErrIDConflict = errors.New("creds: credentials id belongs to another task")

// Manager holds task credentials by id. Implementations are safe for
// concurrent use.
type Manager interface {
	// Set stores (or refreshes, keeping the id) the credentials for id,
	// bound to taskARN. Zero Credentials register the id as pending. An id
	// never moves between tasks: that fails with ErrIDConflict.
	Set(id string, c Credentials, taskARN string, role RoleType) error
	// Get returns the entry for id.
	Get(id string) (Entry, bool)
	// Remove forgets every id of taskARN.
	Remove(taskARN string)
	// IDs returns the ids of taskARN, sorted.
	IDs(taskARN string) []string
}

// Memory is the in-memory Manager. The zero value is not usable: use
// NewMemory.
type Memory struct {
	mu     sync.RWMutex
	byID   map[string]Entry
	byTask map[string]map[string]struct{}
}

var _ Manager = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{byID: map[string]Entry{}, byTask: map[string]map[string]struct{}{}}
}

// Set implements Manager.
func (m *Memory) Set(id string, c Credentials, taskARN string, role RoleType) error {
	if id == "" || taskARN == "" {
		return fmt.Errorf("creds: set: credentials id and task ARN are required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.byID[id]; ok && old.TaskARN != taskARN {
		return fmt.Errorf("creds: set %s for %s: %w", logkey.Redact(id), taskARN, ErrIDConflict)
	}
	m.byID[id] = Entry{ID: id, TaskARN: taskARN, RoleType: role, Credentials: c}
	ids := m.byTask[taskARN]
	if ids == nil {
		ids = map[string]struct{}{}
		m.byTask[taskARN] = ids
	}
	ids[id] = struct{}{}
	return nil
}

// Get implements Manager.
func (m *Memory) Get(id string) (Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.byID[id]
	return e, ok
}

// Remove implements Manager.
func (m *Memory) Remove(taskARN string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.byTask[taskARN] {
		delete(m.byID, id)
	}
	delete(m.byTask, taskARN)
}

// IDs implements Manager.
func (m *Memory) IDs(taskARN string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]string, 0, len(m.byTask[taskARN]))
	for id := range m.byTask[taskARN] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
