// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs_test

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs/wire"
)

// TestTCS_AcksAndKeepsTelemetry: every publication is acknowledged with
// its own ack type, frames may start with a signed header block, the
// latest of each is kept per instance (metrics pages joined until fin),
// and heartbeats flow.
func TestTCS_AcksAndKeepsTelemetry(t *testing.T) {
	cfg := fastConfig()
	cfg.HeartbeatInterval = 50 * time.Millisecond
	st := newStack(t, cfg, acsDeps())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := st.dial(ctx, "/tcs/ws", tcsQuery("test", instanceARN), agentSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer c.ws.CloseNow()

	md := wire.MetricsMetadata{Cluster: "test", ContainerInstance: instanceARN, MessageID: "m1"}
	page := func(task string, fin bool) wire.PublishMetricsRequest {
		m := md
		m.Fin = fin
		return wire.PublishMetricsRequest{Metadata: m, Timestamp: 1.7e9, TaskMetrics: []wire.TaskMetric{{TaskARN: task,
			ContainerMetrics: []wire.ContainerMetric{{ContainerName: "web", CPUStatsSet: &wire.CWStatsSet{Max: 2, SampleCount: 1, Sum: 2}}}}}}
	}
	tests := []struct {
		typ, ack string
		msg      any
		prefixed bool
	}{
		{wire.TypePublishMetricsRequest, wire.TypeAckPublishMetric, page("t1", false), true},
		{wire.TypePublishMetricsRequest, wire.TypeAckPublishMetric, page("t2", true), false},
		{wire.TypePublishHealthRequest, wire.TypeAckPublishHealth, wire.PublishHealthRequest{
			Metadata: wire.HealthMetadata{Cluster: "test", ContainerInstance: instanceARN, Fin: true},
			Tasks:    []wire.TaskHealth{{TaskARN: "t1", Containers: []wire.ContainerHealth{{ContainerName: "web", HealthStatus: "HEALTHY"}}}}}, true},
		{wire.TypePublishInstanceStatusRequest, wire.TypeAckPublishInstanceStatus, wire.PublishInstanceStatusRequest{
			Metadata: wire.InstanceStatusMetadata{Cluster: "test", ContainerInstance: instanceARN},
			Statuses: []wire.InstanceStatus{{Type: "AgentConnected", Status: "OK"}}}, false},
	}
	for _, tc := range tests {
		b, err := wire.Marshal(tc.typ, tc.msg)
		if err != nil {
			t.Fatal(err)
		}
		if tc.prefixed {
			b = append([]byte("Authorization: AWS4-HMAC-SHA256 Credential=x\r\nX-Amz-Date: 20260101T000000Z\r\n\r\n"), b...)
		}
		if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		c.next(t, 5*time.Second, tc.ack)
	}
	c.next(t, 5*time.Second, wire.TypeHeartbeatMessage)

	tel, ok := st.Server.Telemetry(instanceARN)
	if !ok || tel.Metrics == nil || tel.Health == nil || tel.InstanceStatus == nil {
		t.Fatalf("telemetry = %+v, %v", tel, ok)
	}
	if got := len(tel.Metrics.TaskMetrics); got != 2 || tel.Metrics.TaskMetrics[1].TaskARN != "t2" {
		t.Errorf("metrics pages joined into %d task metrics %+v, want t1 and t2", got, tel.Metrics.TaskMetrics)
	}
	if tel.Health.Tasks[0].Containers[0].HealthStatus != "HEALTHY" || tel.InstanceStatus.Statuses[0].Status != "OK" {
		t.Errorf("health %+v, status %+v", tel.Health, tel.InstanceStatus)
	}
}
