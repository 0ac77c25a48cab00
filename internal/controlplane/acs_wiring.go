// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/acs"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/logkey"
	stssvc "github.com/berthdev/berth/internal/service/sts"
	"github.com/berthdev/berth/internal/store"
)

// Paths of the agent websockets; DiscoverPollEndpoint hands out
// http://HOST/acs and http://HOST/tcs and the agent appends /ws.
const (
	acsPrefix = "/acs/"
	tcsPrefix = "/tcs/"
)

// agentStreams builds the ACS and TCS websocket servers on the ECS
// endpoint's API, which must implement agentapi.Backend (until it does the
// streams are not served), authorizing upgrades with az as the gateway
// authorizes operations.
func (s *Server) agentStreams(endpoints []gateway.Endpoint, az authz.Authorizer) []gateway.Stream {
	var backend agentapi.Backend
	for _, ep := range endpoints {
		if ep.Def == ecsapi.Definition {
			backend, _ = ep.API.(agentapi.Backend)
		}
	}
	if backend == nil {
		s.log.Debug("the ECS service does not implement agentapi.Backend: ACS and TCS are not served")
		return nil
	}
	srv, err := acs.New(acs.Config{RegistryHosts: s.registryHosts()}, acs.Deps{
		Backend: backend,
		Authz:   az,
		Roles:   taskRoles{s.sts},
		Keys:    storeKeys{s.store},
		Logger:  s.log.With("service", "acs"),
		Clock:   s.deps.Clock,
	})
	if err != nil {
		s.log.Error("ACS and TCS are not served", logkey.Err, err)
		return nil
	}
	start := s.closeAgentStreamsOnStop(srv)
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start()
			h.ServeHTTP(w, r)
		})
	}
	return []gateway.Stream{
		{Prefix: acsPrefix, Service: ecsapi.Definition, Handler: wrap(srv.ACS())},
		{Prefix: tcsPrefix, Service: ecsapi.Definition, Handler: wrap(srv.TCS())},
	}
}

// closeAgentStreamsOnStop returns a function that, on its first call,
// starts watching the server's lifecycle and closes the websocket sessions
// once the server stops: http.Server.Shutdown does not end hijacked
// connections. The watch starts with the first session, so a server that
// never serves one runs no watcher.
func (s *Server) closeAgentStreamsOnStop(srv *acs.Server) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			go func() {
				t := time.NewTicker(250 * time.Millisecond)
				defer t.Stop()
				seenReady := false
				for range t.C {
					if s.ready.Load() {
						seenReady = true
						continue
					}
					if seenReady {
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						_ = srv.Close(ctx)
						cancel()
						return
					}
				}
			}()
		})
	}
}

// taskRoles mints task-role credentials with STS as ecs-tasks.amazonaws.com.
type taskRoles struct{ sts *stssvc.Service }

var _ acs.RoleAssumer = taskRoles{}

func (t taskRoles) AssumeRoleAsService(ctx context.Context, servicePrincipal, roleARN, sessionName string, d time.Duration) (*acs.Credentials, error) {
	c, err := t.sts.AssumeRoleAsService(ctx, servicePrincipal, roleARN, sessionName, d)
	if err != nil {
		return nil, err
	}
	return &acs.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expiration: c.Expiration}, nil
}

// storeKeys keeps the credentials-id key in the store, created by the
// first replica that needs it, so every replica and every restart derive
// the same ids.
type storeKeys struct{ st *store.Store }

var _ acs.KeySource = storeKeys{}

func (k storeKeys) CredentialsIDKey(ctx context.Context) ([]byte, error) {
	key, err := k.st.Secret(ctx, "acs/credentials-id-key")
	if err != nil {
		return nil, fmt.Errorf("controlplane: credentials-id key: %w", err)
	}
	return key, nil
}
