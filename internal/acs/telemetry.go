// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"sync"
	"time"

	"github.com/berthdev/berth/internal/acs/wire"
)

// Telemetry is the latest of each publication an instance's agent made on
// this replica. Fields are nil until the first publication of that kind;
// callers must not modify them.
type Telemetry struct {
	// Metrics is the last complete publication (its pages joined).
	Metrics        *wire.PublishMetricsRequest
	Health         *wire.PublishHealthRequest
	InstanceStatus *wire.PublishInstanceStatusRequest
	UpdatedAt      time.Time
}

// Telemetry returns the latest telemetry of a container instance.
func (s *Server) Telemetry(instanceARN string) (Telemetry, bool) {
	return s.tel.get(instanceARN)
}

// telemetryStore keeps telemetry per instance in memory. Instances silent
// for an hour are dropped.
type telemetryStore struct {
	mu      sync.Mutex
	byInst  map[string]*telemetryEntry
	updates int
}

type telemetryEntry struct {
	Telemetry
	// partial collects the pages of a publication until its fin page.
	partial *wire.PublishMetricsRequest
}

func newTelemetryStore() *telemetryStore {
	return &telemetryStore{byInst: map[string]*telemetryEntry{}}
}

func (t *telemetryStore) get(instanceARN string) (Telemetry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byInst[instanceARN]
	if e == nil {
		return Telemetry{}, false
	}
	return e.Telemetry, true
}

// entry returns the instance's entry; the caller holds t.mu.
func (t *telemetryStore) entry(instanceARN string, now time.Time) *telemetryEntry {
	if t.updates++; t.updates%4096 == 0 {
		for k, e := range t.byInst {
			if now.Sub(e.UpdatedAt) > time.Hour {
				delete(t.byInst, k)
			}
		}
	}
	e := t.byInst[instanceARN]
	if e == nil {
		e = &telemetryEntry{}
		t.byInst[instanceARN] = e
	}
	e.UpdatedAt = now
	return e
}

func (t *telemetryStore) putMetrics(instanceARN string, m *wire.PublishMetricsRequest, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(instanceARN, now)
	if e.partial != nil {
		e.partial.TaskMetrics = append(e.partial.TaskMetrics, m.TaskMetrics...)
		e.partial.Metadata = m.Metadata
		if m.InstanceMetrics != nil {
			e.partial.InstanceMetrics = m.InstanceMetrics
		}
		e.partial.Timestamp = m.Timestamp
		m = e.partial
	}
	if !m.Metadata.Fin {
		e.partial = m
		return
	}
	e.partial = nil
	e.Metrics = m
}

func (t *telemetryStore) putHealth(instanceARN string, m *wire.PublishHealthRequest, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entry(instanceARN, now).Health = m
}

func (t *telemetryStore) putInstanceStatus(instanceARN string, m *wire.PublishInstanceStatusRequest, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entry(instanceARN, now).InstanceStatus = m
}
