// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// tcsSession is one telemetry connection.
type tcsSession struct {
	srv    *Server
	hs     *handshake
	conn   *websocket.Conn
	log    *slog.Logger
	cancel context.CancelCauseFunc
}

// serveTCS upgrades an agent's telemetry request: it answers every
// publication with its acknowledgement, keeps the latest of each per
// instance, and sends heartbeats.
func (s *Server) serveTCS(w http.ResponseWriter, r *http.Request) {
	hs, herr := parseHandshake(r, "cluster", "containerInstance")
	if herr == nil {
		herr = s.authorize(r.Context(), ActionStartTelemetrySession, hs)
	}
	if herr != nil {
		writeHandshakeError(w, herr)
		return
	}
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	defer cancel(nil)
	ts := &tcsSession{srv: s, hs: hs, cancel: cancel, log: s.log.With(logkey.Instance, hs.instanceARN)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeHandshakeError(w, errShuttingDown)
		return
	}
	s.tcs[ts] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.tcs, ts)
		s.mu.Unlock()
		s.wg.Done()
	}()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		ts.log.Info("tcs upgrade failed", logkey.Err, err)
		return
	}
	conn.SetReadLimit(8 << 20)
	ts.conn = conn
	go ts.heartbeats(ctx)
	err = ts.readLoop(ctx)
	cancel(err)
	switch {
	case errors.Is(err, errShutdown):
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
	case websocket.CloseStatus(err) != -1:
		_ = conn.CloseNow()
	default:
		_ = conn.Close(websocket.StatusNormalClosure, "")
	}
	ts.log.Debug("telemetry session ended", logkey.Err, err)
}

// readLoop answers publications until the connection or ctx ends.
func (ts *tcsSession) readLoop(ctx context.Context) error {
	for {
		_, data, err := ts.conn.Read(ctx)
		if err != nil {
			if c := context.Cause(ctx); c != nil {
				return c
			}
			return err
		}
		typ, body, err := decodeFrame(data)
		if err != nil {
			ts.log.Debug("undecodable telemetry frame", logkey.Err, err)
			continue
		}
		ackType := ""
		switch typ {
		case wire.TypePublishMetricsRequest:
			var m wire.PublishMetricsRequest
			if err := wire.Unmarshal(body, &m); err == nil {
				ts.srv.tel.putMetrics(ts.hs.instanceARN, &m, ts.srv.deps.Clock())
				ackType = wire.TypeAckPublishMetric
			}
		case wire.TypePublishHealthRequest:
			var m wire.PublishHealthRequest
			if err := wire.Unmarshal(body, &m); err == nil {
				ts.srv.tel.putHealth(ts.hs.instanceARN, &m, ts.srv.deps.Clock())
				ackType = wire.TypeAckPublishHealth
			}
		case wire.TypePublishInstanceStatusRequest:
			var m wire.PublishInstanceStatusRequest
			if err := wire.Unmarshal(body, &m); err == nil {
				ts.srv.tel.putInstanceStatus(ts.hs.instanceARN, &m, ts.srv.deps.Clock())
				ackType = wire.TypeAckPublishInstanceStatus
			}
		default:
			ts.log.Debug("ignoring telemetry message", "type", typ)
		}
		if ackType != "" {
			if err := ts.send(ctx, ackType, wire.TCSAck{}); err != nil {
				return err
			}
		}
	}
}

// heartbeats sends HeartbeatMessage until ctx ends.
func (ts *tcsSession) heartbeats(ctx context.Context) {
	cfg := ts.srv.cfg
	for {
		d := cfg.HeartbeatInterval
		if cfg.HeartbeatJitter > 0 {
			d += rand.N(cfg.HeartbeatJitter)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := ts.send(ctx, wire.TypeHeartbeatMessage, wire.TCSHeartbeat{Healthy: true}); err != nil {
			return
		}
	}
}

func (ts *tcsSession) send(ctx context.Context, typ string, msg any) error {
	frame, err := wire.Marshal(typ, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, ts.srv.cfg.WriteTimeout)
	defer cancel()
	return ts.conn.Write(ctx, websocket.MessageText, frame)
}
