// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"path/filepath"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/logstore"
	logssvc "github.com/berthdev/berth/internal/service/logs"
)

// buildLogs opens the event store under DATA_DIR/logs and builds the
// CloudWatch Logs service on it and the store; the service names its own
// IAM targets.
func (s *Server) buildLogs() (gateway.Endpoint, error) {
	events, err := logstore.Open(logstore.Config{Dir: filepath.Join(s.cfg.DataDir, "logs"), Logger: s.log.With("component", "logstore")})
	if err != nil {
		return gateway.Endpoint{}, err
	}
	// The context bounds only the initial fill of the table caches.
	svc, err := logssvc.New(context.Background(),
		logssvc.Config{Region: s.cfg.Region, AccountID: s.cfg.AccountID, Clock: s.deps.Clock},
		logssvc.Deps{Store: s.store, Events: events, Logger: s.log.With("service", "logs")})
	if err != nil {
		events.Close()
		return gateway.Endpoint{}, err
	}
	s.logs, s.logEvents = svc, events
	ep := endpoint(logsapi.Definition, svc)
	ep.Describer = svc
	return ep, nil
}
