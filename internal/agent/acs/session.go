// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// PayloadHandler takes the tasks of a PayloadMessage: new tasks to run,
// changed ones, and ones to stop (desiredStatus STOPPED). It is called
// from the session's read loop and must return quickly, handing the work
// to the task engine. An error withholds the acknowledgement, so the
// control plane sends the message again.
type PayloadHandler interface {
	HandlePayload(ctx context.Context, msg *wire.PayloadMessage) error
}

// CredentialsHandler stores refreshed credentials of a known task's role
// under their credentials id. An error withholds the acknowledgement.
type CredentialsHandler interface {
	HandleCredentials(ctx context.Context, msg *wire.IAMRoleCredentialsMessage) error
}

// ManifestHandler reconciles the tasks the agent runs with the control
// plane's manifest: StopCandidates names the running tasks the manifest
// lacks, and StopTasks stops those the control plane confirmed.
type ManifestHandler interface {
	StopCandidates(ctx context.Context, msg *wire.TaskManifestMessage) []wire.TaskIdentifier
	StopTasks(ctx context.Context, tasks []wire.TaskIdentifier)
}

// Handlers are what the agent does with the control plane's messages.
// Payload is required; without Credentials, credentials messages are
// acknowledged and dropped; without Manifest, manifests are acknowledged
// and no stop candidates are reported.
type Handlers struct {
	Payload     PayloadHandler
	Credentials CredentialsHandler
	Manifest    ManifestHandler
}

// SessionConfig configures an ACS session. Zero durations take the ECS
// agent's values, noted below.
type SessionConfig struct {
	InstanceARN   string
	AgentVersion  string
	AgentHash     string
	DockerVersion string
	// MinBackoff and MaxBackoff bound reconnect delays (250 ms, 2 min); a
	// connection that stayed up for HealthyAfter (1 min) resets them.
	MinBackoff, MaxBackoff time.Duration
	HealthyAfter           time.Duration
	// InactivityTimeout plus up to InactivityJitter (1 min + 1 min)
	// without any message from the control plane closes the connection.
	InactivityTimeout, InactivityJitter time.Duration
	// Lifetime plus up to LifetimeJitter (30 min + 5 min) after it opened,
	// the session closes the connection and reconnects.
	Lifetime, LifetimeJitter time.Duration
	// WriteTimeout bounds one websocket write (30 s).
	WriteTimeout time.Duration
	// OnConnect and OnDisconnect, when set, are called as the websocket
	// opens and closes (for progress reporting); OnConnectError after each
	// attempt that did not open it (a *HandshakeError when the control
	// plane refused it).
	OnConnect      func()
	OnDisconnect   func(err error)
	OnConnectError func(err error)
}

func (c SessionConfig) withDefaults() SessionConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.MinBackoff, 250*time.Millisecond)
	def(&c.MaxBackoff, 2*time.Minute)
	def(&c.HealthyAfter, time.Minute)
	def(&c.InactivityTimeout, time.Minute)
	def(&c.InactivityJitter, time.Minute)
	def(&c.Lifetime, 30*time.Minute)
	def(&c.LifetimeJitter, 5*time.Minute)
	def(&c.WriteTimeout, 30*time.Second)
	return c
}

// Session is an agent's ACS connection, kept open across failures.
type Session struct {
	client     *Client
	cfg        SessionConfig
	h          Handlers
	log        *slog.Logger
	responders map[string]responder

	// seq is the highest sequence number seen (payload seqNum, manifest
	// timeline); manifests at or below it are stale.
	seq atomic.Int64
	mu  sync.Mutex
	// manifestID is the last manifest processed, which a stop
	// verification must answer.
	manifestID string
}

// responder handles one message type.
type responder interface {
	handle(ctx context.Context, c *conn, body json.RawMessage) error
}

// NewSession returns a session for the instance; Run opens it.
func NewSession(c *Client, cfg SessionConfig, h Handlers) *Session {
	s := &Session{client: c, cfg: cfg.withDefaults(), h: h, log: c.log.With(logkey.Instance, cfg.InstanceARN)}
	s.responders = map[string]responder{
		wire.TypePayloadMessage:            payloadResponder{s},
		wire.TypeHeartbeatMessage:          heartbeatResponder{s},
		wire.TypeIAMRoleCredentialsMessage: credentialsResponder{s},
		wire.TypeTaskManifestMessage:       manifestResponder{s},
		wire.TypeTaskStopVerificationAck:   stopVerificationResponder{s},
	}
	return s
}

// Run keeps the session connected until ctx ends, reconnecting with
// backoff. It returns ctx's error, or an error wrapping ErrInactiveInstance
// when the control plane says the instance is deregistered (the caller
// decides whether to wait and call Run again).
func (s *Session) Run(ctx context.Context) error {
	b := backoff{min: s.cfg.MinBackoff, max: s.cfg.MaxBackoff}
	sendCredentials := true
	for {
		start := time.Now()
		connected, err := s.connectOnce(ctx, sendCredentials)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrInactiveInstance) {
			return err
		}
		if connected {
			sendCredentials = false
		}
		if time.Since(start) >= s.cfg.HealthyAfter {
			b.reset()
		}
		delay := b.next()
		if connected && reconnectAtOnce(err) && time.Since(start) > time.Second {
			delay = 0
		}
		s.log.Debug("acs connection ended", logkey.Err, err, "reconnect_in", delay)
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// errExpired ends a connection that reached its lifetime.
var errExpired = errors.New("acs: connection expired")

// reconnectAtOnce reports the endings the ECS agent reconnects after
// without backoff: its own expiry, and close codes 1000, 1001, 1006, 1011
// or EOF.
func reconnectAtOnce(err error) bool {
	if errors.Is(err, errExpired) || errors.Is(err, io.EOF) {
		return true
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusAbnormalClosure, websocket.StatusInternalError:
		return true
	}
	return false
}

// connectOnce opens one connection and serves it until it ends.
func (s *Session) connectOnce(ctx context.Context, sendCredentials bool) (bool, error) {
	ep, err := s.client.DiscoverPollEndpoint(ctx, s.cfg.InstanceARN)
	if err != nil {
		return false, err
	}
	q := url.Values{}
	q.Set("agentHash", s.cfg.AgentHash)
	q.Set("agentVersion", s.cfg.AgentVersion)
	q.Set("clusterArn", s.client.Cluster())
	q.Set("containerInstanceArn", s.cfg.InstanceARN)
	q.Set("dockerVersion", "DockerVersion: "+s.cfg.DockerVersion)
	q.Set("protocolVersion", "2")
	q.Set("sendCredentials", boolString(sendCredentials))
	q.Set("seqNum", "1")
	u, err := wsURL(ep.ACS, q)
	if err != nil {
		return false, err
	}
	ws, err := s.client.dial(ctx, u, 16<<20)
	if err != nil {
		if s.cfg.OnConnectError != nil && ctx.Err() == nil {
			s.cfg.OnConnectError(err)
		}
		return false, err
	}
	if s.cfg.OnConnect != nil {
		s.cfg.OnConnect()
	}
	err = s.serve(ctx, &conn{ws: ws, writeTimeout: s.cfg.WriteTimeout})
	if s.cfg.OnDisconnect != nil {
		s.cfg.OnDisconnect(err)
	}
	return true, err
}

// serve reads and dispatches messages until the connection ends, it has
// been idle for the inactivity timeout, or it reached its lifetime.
func (s *Session) serve(ctx context.Context, c *conn) error {
	defer c.ws.CloseNow()
	var ending atomic.Value // the reason the session closed the connection itself
	lifetime := time.AfterFunc(jittered(s.cfg.Lifetime, s.cfg.LifetimeJitter), func() {
		ending.Store(errExpired)
		_ = c.ws.Close(websocket.StatusNormalClosure, "ConnectionExpired: Reconnect to continue")
	})
	defer lifetime.Stop()
	idle := jittered(s.cfg.InactivityTimeout, s.cfg.InactivityJitter)
	inactivity := time.AfterFunc(idle, func() {
		ending.Store(errIdle)
		_ = c.ws.Close(websocket.StatusNormalClosure, "no message from the server")
	})
	defer inactivity.Stop()
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			if e, ok := ending.Load().(error); ok {
				return e
			}
			return err
		}
		inactivity.Reset(idle)
		typ, body, err := wire.Decode(data)
		if err != nil {
			s.log.Debug("undecodable acs message", logkey.Err, err)
			continue
		}
		r := s.responders[typ]
		if r == nil {
			s.logUnhandled(typ, body)
			continue
		}
		if err := r.handle(ctx, c, body); err != nil {
			return err
		}
	}
}

var errIdle = errors.New("acs: no message from the control plane within the inactivity timeout")

func (s *Session) logUnhandled(typ string, body json.RawMessage) {
	switch typ {
	case wire.TypeCloseMessage, wire.TypeErrorMessage:
		var e wire.ErrorShape
		_ = wire.Unmarshal(body, &e)
		s.log.Info("acs message", "type", typ, "message", e.Message)
	default:
		s.log.Debug("ignoring acs message", "type", typ)
	}
}

// observeSeq records a sequence number and reports whether it is above
// every one seen before.
func (s *Session) observeSeq(n int64) bool {
	for {
		cur := s.seq.Load()
		if n <= cur {
			return false
		}
		if s.seq.CompareAndSwap(cur, n) {
			return true
		}
	}
}

// conn is one open websocket; writes are safe for concurrent use.
type conn struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
}

func (c *conn) send(ctx context.Context, typ string, msg any) error {
	frame, err := wire.Marshal(typ, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, frame)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
