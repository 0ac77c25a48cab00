// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/logkey"
)

// serveACS upgrades an agent's poll request into a session.
func (s *Server) serveACS(w http.ResponseWriter, r *http.Request) {
	hs, herr := parseHandshake(r, "clusterArn", "containerInstanceArn")
	if herr == nil {
		herr = s.authorize(r.Context(), ActionPoll, hs)
	}
	if herr != nil {
		writeHandshakeError(w, herr)
		return
	}
	// ctx ends the session; connCtx, which outlives it, keeps reading the
	// connection so a close handshake can complete.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	connCtx, connCancel := context.WithCancel(context.Background())
	defer connCancel()
	ss := &session{srv: s, hs: hs, cancel: cancel,
		log: s.log.With(logkey.Instance, hs.instanceARN)}
	if herr := s.connect(ctx, ss); herr != nil {
		cancel(nil)
		writeHandshakeError(w, herr)
		return
	}
	defer s.disconnect(ss)
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		ss.log.Info("acs upgrade failed", logkey.Err, err)
		cancel(err)
		return
	}
	conn.SetReadLimit(1 << 20)
	ss.conn = conn
	ss.log.Debug("agent connected", logkey.Cluster, ss.hs.clusterARN, "agent_version", hs.agentVersion, "send_credentials", hs.sendCredentials)
	err = ss.run(ctx, connCtx)
	ss.close(err)
}

// connect records the agent as connected and registers the session,
// replacing (and ending) an older session of the same instance.
func (s *Server) connect(ctx context.Context, ss *session) *handshakeError {
	mu := s.stripe(ss.hs.instanceARN)
	mu.Lock()
	defer mu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errShuttingDown
	}
	conn, err := s.deps.Backend.ConnectAgent(ctx, ss.hs.cluster, ss.hs.instanceARN)
	clusterARN := conn.ClusterARN
	ss.gen = conn.Generation
	if errors.Is(err, agentapi.ErrInactiveInstance) {
		return &handshakeError{Type: wire.TypeInactiveInstanceException, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("The container instance %s is not active.", ss.hs.instanceARN)}
	}
	if err != nil {
		ss.log.Error("connect agent failed", logkey.Err, err)
		return &handshakeError{Type: wire.TypeServerException, Message: "We encountered an internal error. Please try again.", Status: http.StatusInternalServerError}
	}
	if clusterARN != "" && clusterARN != ss.hs.clusterARN {
		// The instance lives in another cluster than the one authorized.
		if herr := s.authorize(ctx, ActionPoll, &handshake{instanceARN: ss.hs.instanceARN, clusterARN: clusterARN}); herr != nil {
			_ = s.deps.Backend.DisconnectAgent(ctx, ss.hs.instanceARN, ss.gen)
			return herr
		}
		ss.hs.clusterARN = clusterARN
	}
	s.mu.Lock()
	if s.closed { // Close ran while the agent was being connected
		s.mu.Unlock()
		_ = s.deps.Backend.DisconnectAgent(ctx, ss.hs.instanceARN, ss.gen)
		return errShuttingDown
	}
	old := s.sessions[ss.hs.instanceARN]
	s.sessions[ss.hs.instanceARN] = ss
	s.wg.Add(1)
	s.mu.Unlock()
	if old != nil {
		old.cancel(errReplaced)
	}
	return nil
}

// errShuttingDown refuses upgrades once Close has begun.
var errShuttingDown = &handshakeError{Type: wire.TypeServerException, Message: "The server is shutting down. Reconnect.", Status: http.StatusServiceUnavailable}

var errReplaced = errors.New("acs: a newer connection of the agent replaced this one")

// disconnect unregisters a session and records the agent as disconnected,
// unless a newer session of the instance has taken over.
func (s *Server) disconnect(ss *session) {
	defer s.wg.Done()
	mu := s.stripe(ss.hs.instanceARN)
	mu.Lock()
	defer mu.Unlock()
	s.mu.Lock()
	current := s.sessions[ss.hs.instanceARN] == ss
	if current {
		delete(s.sessions, ss.hs.instanceARN)
	}
	s.mu.Unlock()
	if !current {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.deps.Backend.DisconnectAgent(ctx, ss.hs.instanceARN, ss.gen); err != nil {
		ss.log.Warn("recording the agent disconnected failed", logkey.Err, err)
	}
}

// session is one agent connection. Its fields are owned by run's
// goroutine, except conn (safe for concurrent use) and cancel.
type session struct {
	srv    *Server
	hs     *handshake
	conn   *websocket.Conn
	log    *slog.Logger
	cancel context.CancelCauseFunc
	render renderer
	// gen is the connection generation ConnectAgent recorded; the
	// disconnect names it so that it never undoes a newer connection made
	// on another replica.
	gen int64

	// sent maps each task delivered (acknowledged or not) to what was sent.
	sent map[string]delivered
	// pending holds unacknowledged messages by message id.
	pending map[string]*outMsg
	// roles are the task roles whose credentials this session delivers.
	roles map[credKey]*roleState
	// seq is the last sequence number used (payload seqNum, manifest timeline).
	seq         int64
	lastInbound time.Time
	lastSync    time.Time
	// manifestID is the id of the last TaskManifestMessage sent.
	manifestID string
}

// delivered is the version and desired status of a task last sent.
type delivered struct {
	version int64
	desired string
}

// outMsg is a message sent and not yet acknowledged.
type outMsg struct {
	frame    []byte
	sentAt   time.Time
	attempts int
	// tasks are the task versions a PayloadMessage carries.
	tasks map[string]int64
	// cred is the role an IAMRoleCredentialsMessage carries.
	cred *credKey
}

// roleState is a task role the session keeps supplied with credentials.
type roleState struct {
	roleARN string
	// expiration of the credentials delivered; zero when none were (the
	// role was refused or the last attempt failed).
	expiration time.Time
	// pendingID is the IAMRoleCredentialsMessage in flight, if any.
	pendingID string
}

type inbound struct {
	typ  string
	body []byte
}

// run serves the session until the connection or ctx ends.
func (ss *session) run(ctx, connCtx context.Context) error {
	cfg := ss.srv.cfg
	ss.render = renderer{endpoint: ss.hs.endpoint, logsEndpoint: cfg.LogsEndpoint, registryHosts: cfg.RegistryHosts}
	ss.sent, ss.pending, ss.roles = map[string]delivered{}, map[string]*outMsg{}, map[credKey]*roleState{}
	ss.seq = ss.hs.seqNum
	ss.lastInbound = time.Now()

	watch := ss.srv.deps.Backend.WatchInstance(ctx, ss.hs.instanceARN)
	inbox := make(chan inbound, 16)
	readErr := make(chan error, 1)
	go ss.readLoop(ctx, connCtx, inbox, readErr)

	if err := ss.sync(ctx, ss.hs.sendCredentials); err != nil {
		return err
	}
	heartbeat := time.NewTimer(ss.heartbeatDelay())
	defer heartbeat.Stop()
	period := min(cfg.ResendInterval, cfg.InactivityTimeout/4, cfg.CredentialsRetryInterval)
	if cfg.SyncInterval > 0 {
		period = min(period, cfg.SyncInterval)
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	var manifest <-chan time.Time
	if cfg.ManifestInterval > 0 {
		t := time.NewTicker(cfg.ManifestInterval)
		defer t.Stop()
		manifest = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case err := <-readErr:
			return err
		case in := <-inbox:
			ss.lastInbound = time.Now()
			if err := ss.handle(ctx, in); err != nil {
				return err
			}
		case _, ok := <-watch:
			if !ok {
				return context.Cause(ctx)
			}
			if err := ss.sync(ctx, false); err != nil {
				return err
			}
		case <-heartbeat.C:
			if err := ss.send(ctx, wire.TypeHeartbeatMessage, wire.HeartbeatMessage{Healthy: true, MessageID: wire.NewMessageID()}); err != nil {
				return err
			}
			heartbeat.Reset(ss.heartbeatDelay())
		case now := <-tick.C:
			if now.Sub(ss.lastInbound) > cfg.InactivityTimeout {
				return errInactive
			}
			if cfg.SyncInterval > 0 && now.Sub(ss.lastSync) >= cfg.SyncInterval {
				if err := ss.sync(ctx, false); err != nil {
					return err
				}
			}
			if err := ss.resend(ctx, now); err != nil {
				return err
			}
			if err := ss.refreshCredentials(ctx, now); err != nil {
				return err
			}
		case <-manifest:
			if err := ss.sendManifest(ctx); err != nil {
				return err
			}
		}
	}
}

var errInactive = errors.New("acs: the agent sent nothing within the inactivity timeout")

func (ss *session) heartbeatDelay() time.Duration {
	d := ss.srv.cfg.HeartbeatInterval
	if j := ss.srv.cfg.HeartbeatJitter; j > 0 {
		d += rand.N(j)
	}
	return d
}

// readLoop decodes frames into inbox until the connection fails. Once
// the session ends it keeps reading, dropping messages, so that a close
// handshake can complete.
func (ss *session) readLoop(ctx, connCtx context.Context, inbox chan<- inbound, readErr chan<- error) {
	for {
		_, data, err := ss.conn.Read(connCtx)
		if err != nil {
			readErr <- err
			return
		}
		typ, body, err := decodeFrame(data)
		if err != nil {
			ss.log.Debug("undecodable frame from agent", logkey.Err, err)
			continue
		}
		select {
		case inbox <- inbound{typ, body}:
		case <-ctx.Done():
		}
	}
}

// close ends the connection with a close code chosen by why it ended.
func (ss *session) close(err error) {
	ss.cancel(err)
	code, reason := websocket.StatusNormalClosure, "session ended"
	switch {
	case websocket.CloseStatus(err) != -1:
		ss.log.Debug("agent disconnected", "close_status", websocket.CloseStatus(err))
		_ = ss.conn.CloseNow()
		return
	case errors.Is(err, errShutdown):
		code, reason = websocket.StatusGoingAway, "server shutting down"
	case errors.Is(err, errReplaced):
		reason = "replaced by a newer connection"
	case errors.Is(err, errInactive):
		code, reason = websocket.StatusPolicyViolation, "no message from the agent within the inactivity timeout"
	case errors.Is(err, agentapi.ErrInactiveInstance):
		reason = "the container instance is not active" // the reconnection gets InactiveInstanceException
	case err != nil:
		code, reason = websocket.StatusInternalError, "internal error"
	}
	ss.log.Debug("agent session ended", logkey.Err, err)
	_ = ss.conn.Close(code, reason)
}

// send writes one message.
func (ss *session) send(ctx context.Context, typ string, msg any) error {
	frame, err := wire.Marshal(typ, msg)
	if err != nil {
		return err
	}
	return ss.write(ctx, frame)
}

func (ss *session) write(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, ss.srv.cfg.WriteTimeout)
	defer cancel()
	return ss.conn.Write(ctx, websocket.MessageText, frame)
}

// sendTracked writes a message that is resent until acknowledged.
func (ss *session) sendTracked(ctx context.Context, id string, typ string, msg any, m *outMsg) error {
	frame, err := wire.Marshal(typ, msg)
	if err != nil {
		return err
	}
	m.frame, m.sentAt, m.attempts = frame, time.Now(), 1
	ss.pending[id] = m
	return ss.write(ctx, frame)
}

// resend writes again every message unacknowledged for ResendInterval,
// dropping those a newer message superseded.
func (ss *session) resend(ctx context.Context, now time.Time) error {
	for id, m := range ss.pending {
		if ss.superseded(id, m) {
			delete(ss.pending, id)
			continue
		}
		if now.Sub(m.sentAt) < ss.srv.cfg.ResendInterval {
			continue
		}
		m.sentAt = now
		m.attempts++
		ss.log.Debug("resending unacknowledged message", "message_id", id, "attempt", m.attempts)
		if err := ss.write(ctx, m.frame); err != nil {
			return err
		}
	}
	return nil
}

// superseded reports whether every task of a payload has a newer version
// delivered (or is gone), or a credentials message was replaced.
func (ss *session) superseded(id string, m *outMsg) bool {
	if m.cred != nil {
		rs := ss.roles[*m.cred]
		return rs == nil || rs.pendingID != id
	}
	for a, v := range m.tasks {
		if ss.sent[a].version == v {
			return false
		}
	}
	return true
}
