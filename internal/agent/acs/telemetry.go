// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/logkey"
)

// MetricsSource supplies what the telemetry session publishes. It is
// called from the session's publishing goroutine.
type MetricsSource interface {
	// TaskMetrics returns the metrics of the tasks running now (none:
	// the instance is idle).
	TaskMetrics(ctx context.Context) []wire.TaskMetric
}

// HealthSource is an optional ability of a MetricsSource: container
// health to publish.
type HealthSource interface {
	TaskHealth(ctx context.Context) []wire.TaskHealth
}

// TelemetryConfig configures a TCS session; zero durations take the ECS
// agent's values noted.
type TelemetryConfig struct {
	InstanceARN   string
	AgentVersion  string
	AgentHash     string
	DockerVersion string
	// PublishInterval spaces publications (20 s).
	PublishInterval time.Duration
	// MinBackoff and MaxBackoff bound reconnect delays (1 s, 1 min).
	MinBackoff, MaxBackoff time.Duration
	// InactivityTimeout closes a connection without a heartbeat or
	// acknowledgement for that long (1 min + up to 1 min).
	InactivityTimeout time.Duration
}

// Telemetry is an agent's TCS connection, kept open across failures. An
// unreachable TCS never affects ACS or tasks.
type Telemetry struct {
	client *Client
	cfg    TelemetryConfig
	src    MetricsSource
	log    *slog.Logger
	acks   atomic.Int64
}

// NewTelemetry returns a telemetry session publishing src's metrics.
func NewTelemetry(c *Client, cfg TelemetryConfig, src MetricsSource) *Telemetry {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.PublishInterval, 20*time.Second)
	def(&cfg.MinBackoff, time.Second)
	def(&cfg.MaxBackoff, time.Minute)
	def(&cfg.InactivityTimeout, time.Minute)
	return &Telemetry{client: c, cfg: cfg, src: src, log: c.log.With(logkey.Instance, cfg.InstanceARN, "stream", "tcs")}
}

// Acks returns how many publications the control plane acknowledged.
func (t *Telemetry) Acks() int64 { return t.acks.Load() }

// Run keeps the session connected until ctx ends.
func (t *Telemetry) Run(ctx context.Context) error {
	b := backoff{min: t.cfg.MinBackoff, max: t.cfg.MaxBackoff}
	for {
		start := time.Now()
		err := t.connectOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(start) > time.Minute {
			b.reset()
		}
		d := b.next()
		t.log.Debug("tcs connection ended", logkey.Err, err, "reconnect_in", d)
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (t *Telemetry) connectOnce(ctx context.Context) error {
	ep, err := t.client.DiscoverPollEndpoint(ctx, t.cfg.InstanceARN)
	if err != nil {
		return err
	}
	if ep.TCS == "" {
		return errors.New("acs: no telemetry endpoint")
	}
	q := url.Values{}
	q.Set("agentHash", t.cfg.AgentHash)
	q.Set("agentVersion", t.cfg.AgentVersion)
	q.Set("cluster", t.client.Cluster())
	q.Set("containerInstance", t.cfg.InstanceARN)
	q.Set("dockerVersion", t.cfg.DockerVersion)
	u, err := wsURL(ep.TCS, q)
	if err != nil {
		return err
	}
	ws, err := t.client.dial(ctx, u, 1<<20)
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go t.publish(ctx, ws, u)
	idle := jittered(t.cfg.InactivityTimeout, t.cfg.InactivityTimeout)
	for {
		rctx, rcancel := context.WithTimeout(ctx, idle)
		_, data, err := ws.Read(rctx)
		rcancel()
		if err != nil {
			return err
		}
		typ, _, err := wire.Decode(data)
		if err != nil {
			continue
		}
		switch typ {
		case wire.TypeAckPublishMetric, wire.TypeAckPublishHealth, wire.TypeAckPublishInstanceStatus:
			t.acks.Add(1)
		case wire.TypeHeartbeatMessage:
		case wire.TypeStopTelemetrySessionMessage:
			return errors.New("acs: the control plane stopped the telemetry session")
		default:
			t.log.Debug("tcs message", "type", typ)
		}
	}
}

// publish sends metrics (and health, when the source has it) every
// PublishInterval until ctx ends.
func (t *Telemetry) publish(ctx context.Context, ws *websocket.Conn, u *url.URL) {
	tick := time.NewTicker(t.cfg.PublishInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := float64(time.Now().UnixNano()) / 1e9
		metrics := t.src.TaskMetrics(ctx)
		m := wire.PublishMetricsRequest{
			Metadata:    wire.MetricsMetadata{Cluster: t.client.Cluster(), ContainerInstance: t.cfg.InstanceARN, MessageID: wire.NewMessageID(), Idle: len(metrics) == 0, Fin: true},
			TaskMetrics: metrics,
			Timestamp:   now,
		}
		if m.TaskMetrics == nil {
			m.TaskMetrics = []wire.TaskMetric{}
		}
		if err := t.send(ctx, ws, u, wire.TypePublishMetricsRequest, m); err != nil {
			return
		}
		if hs, ok := t.src.(HealthSource); ok {
			h := wire.PublishHealthRequest{
				Metadata:  wire.HealthMetadata{Cluster: t.client.Cluster(), ContainerInstance: t.cfg.InstanceARN, MessageID: wire.NewMessageID(), Fin: true},
				Tasks:     hs.TaskHealth(ctx),
				Timestamp: now,
			}
			if err := t.send(ctx, ws, u, wire.TypePublishHealthRequest, h); err != nil {
				return
			}
		}
	}
}

// send writes one frame, prefixed with a SigV4-signed header block for a
// GET of the session URL with the JSON as its body, as the ECS agent
// signs every telemetry frame.
func (t *Telemetry) send(ctx context.Context, ws *websocket.Conn, u *url.URL, typ string, msg any) error {
	body, err := wire.Marshal(typ, msg)
	if err != nil {
		return err
	}
	h, err := t.client.signedHeader(ctx, u, body)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	h.Set("Host", u.Host)
	h.Set("Content-Type", "application/json")
	_ = h.Write(&buf)
	buf.WriteString("\r\n")
	buf.Write(body)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, buf.Bytes())
}
