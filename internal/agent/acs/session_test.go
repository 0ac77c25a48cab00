// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	acssrv "github.com/berthdev/berth/internal/acs"
	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/testutil/poll"
)

// recorder is a handler of every kind that records what it got.
type recorder struct {
	mu       sync.Mutex
	payloads []*wire.PayloadMessage
	creds    []*wire.IAMRoleCredentialsMessage
	stopped  []wire.TaskIdentifier
	stray    string
}

func (r *recorder) HandlePayload(_ context.Context, m *wire.PayloadMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, m)
	return nil
}

func (r *recorder) HandleCredentials(_ context.Context, m *wire.IAMRoleCredentialsMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.creds = append(r.creds, m)
	return nil
}

func (r *recorder) StopCandidates(context.Context, *wire.TaskManifestMessage) []wire.TaskIdentifier {
	if r.stray == "" {
		return nil
	}
	return []wire.TaskIdentifier{{TaskARN: r.stray}}
}

func (r *recorder) StopTasks(_ context.Context, ts []wire.TaskIdentifier) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = append(r.stopped, ts...)
}

func (r *recorder) counts() (payloads, creds, stopped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.payloads), len(r.creds), len(r.stopped)
}

type roles struct{ n int }

func (r *roles) AssumeRoleAsService(_ context.Context, _, _, _ string, d time.Duration) (*acssrv.Credentials, error) {
	r.n++
	return &acssrv.Credentials{AccessKeyID: "ASIAROLE" + string(rune('A'+r.n%26)), SecretAccessKey: "s", SessionToken: "t", Expiration: time.Now().Add(d)}, nil
}

type keys struct{}

func (keys) CredentialsIDKey(context.Context) ([]byte, error) { return []byte("0123456789abcdef"), nil }

func fastSession(inst string) SessionConfig {
	return SessionConfig{InstanceARN: inst, AgentVersion: "berth-test", MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
}

func task(inst string) agentapi.Task {
	return agentapi.Task{
		TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/test/0123456789abcdef0123456789abcdef", ClusterARN: acstest.ClusterARN("test"),
		Version: 1, DesiredStatus: "RUNNING", TaskRoleARN: "arn:aws:iam::123456789012:role/app",
		Definition: &ecsapi.TaskDefinition{Family: aws.String("web"), Revision: aws.Int32(1),
			ContainerDefinitions: []ecsapi.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("busybox")}}},
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 10*time.Second, what, cond)
}

// TestSession_EndToEnd registers, opens ACS, takes a payload with task
// credentials (acknowledged once, so never resent), a credentials refresh
// under the same id, heartbeats, and a manifest whose stray task the
// control plane confirms stopping.
func TestSession_EndToEnd(t *testing.T) {
	p := acstest.NewPlane(t, acstest.Options{Roles: &roles{}, Keys: keys{}, Config: acssrv.Config{
		HeartbeatInterval: 50 * time.Millisecond, InactivityTimeout: 500 * time.Millisecond, ResendInterval: 100 * time.Millisecond,
		ManifestInterval: 300 * time.Millisecond, CredentialsDuration: 2 * time.Second, CredentialsRefreshBefore: 1500 * time.Millisecond,
		CredentialsRetryInterval: 50 * time.Millisecond,
	}})
	c := newTestClient(t, p, "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg, err := c.RegisterContainerInstance(ctx, RegisterInput{CPU: 1024, MemoryMiB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	p.Backend.SetTasks(reg.ContainerInstanceARN, task(reg.ContainerInstanceARN))
	rec := &recorder{stray: "arn:aws:ecs:us-east-1:123456789012:task/test/ffffffffffffffffffffffffffffffff"}
	var connects sync.WaitGroup
	connects.Add(1)
	cfg := fastSession(reg.ContainerInstanceARN)
	var once sync.Once
	cfg.OnConnect = func() { once.Do(connects.Done) }
	s := NewSession(c, cfg, Handlers{Payload: rec, Credentials: rec, Manifest: rec})
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	connects.Wait()

	eventually(t, "the payload arrived", func() bool { n, _, _ := rec.counts(); return n == 1 })
	eventually(t, "credentials were refreshed", func() bool { _, n, _ := rec.counts(); return n >= 1 })
	eventually(t, "the stray task was confirmed for stopping", func() bool { _, _, n := rec.counts(); return n >= 1 })
	time.Sleep(700 * time.Millisecond) // > inactivity timeout: heartbeats were acknowledged
	rec.mu.Lock()
	first := rec.payloads[0].Tasks[0].RoleCredentials
	if len(rec.payloads) != 1 {
		t.Errorf("payload handled %d times, want once (acknowledged)", len(rec.payloads))
	}
	for _, m := range rec.creds {
		if m.RoleCredentials.CredentialsID != first.CredentialsID {
			t.Errorf("refresh credentials id %s, want %s", m.RoleCredentials.CredentialsID, first.CredentialsID)
		}
	}
	if rec.stopped[0].TaskARN != rec.stray {
		t.Errorf("stopped %+v, want %s", rec.stopped, rec.stray)
	}
	rec.mu.Unlock()
	if n := p.Backend.Connects(); n != 1 {
		t.Errorf("%d connections, want 1 (heartbeats keep it open)", n)
	}
	if !p.Backend.Connected(reg.ContainerInstanceARN) {
		t.Error("agent not connected")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

// TestSession_Refused: a deregistered instance ends Run with
// ErrInactiveInstance; a denied ecs:Poll is retried with backoff until
// allowed; a bad signature is refused by the gateway.
func TestSession_Refused(t *testing.T) {
	p := acstest.NewPlane(t, acstest.Options{})
	c := newTestClient(t, p, "test")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	gone := "arn:aws:ecs:us-east-1:123456789012:container-instance/test/00000000000000000000000000000000"
	if err := NewSession(c, fastSession(gone), Handlers{Payload: &recorder{}}).Run(ctx); !errors.Is(err, ErrInactiveInstance) {
		t.Fatalf("Run for a deregistered instance = %v, want ErrInactiveInstance", err)
	}

	reg, err := c.RegisterContainerInstance(ctx, RegisterInput{CPU: 1024, MemoryMiB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	p.Authz.SetAllow(func(r authz.Request) bool { return r.Action != "ecs:Poll" })
	s := NewSession(c, fastSession(reg.ContainerInstanceARN), Handlers{Payload: &recorder{}})
	_, err = s.connectOnce(ctx, true)
	var he *HandshakeError
	if !errors.As(err, &he) || he.Type != wire.TypeAccessDeniedException {
		t.Fatalf("connect without ecs:Poll = %v, want AccessDeniedException", err)
	}
	connected := make(chan struct{})
	cfg := fastSession(reg.ContainerInstanceARN)
	var once sync.Once
	cfg.OnConnect = func() { once.Do(func() { close(connected) }) }
	go func() { _ = NewSession(c, cfg, Handlers{Payload: &recorder{}}).Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	p.Authz.SetAllow(nil)
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatal("the session did not connect once ecs:Poll was allowed")
	}

	bad := NewClient(p.AWSConfig("wrong-secret"), ClientConfig{Endpoint: p.URL, Cluster: "test", Logger: acstest.Logger()})
	bad.endpoints[reg.ContainerInstanceARN] = cachedEndpoints{Endpoints{ACS: p.URL + "/acs"}, time.Now()}
	_, err = NewSession(bad, fastSession(reg.ContainerInstanceARN), Handlers{Payload: &recorder{}}).connectOnce(ctx, false)
	if !errors.As(err, &he) || he.Type != "InvalidSignatureException" {
		t.Errorf("connect with a bad signature = %v, want InvalidSignatureException", err)
	}
}

// metrics is a MetricsSource with one task.
type metrics struct{}

func (metrics) TaskMetrics(context.Context) []wire.TaskMetric {
	return []wire.TaskMetric{{TaskARN: "t1", ContainerMetrics: []wire.ContainerMetric{{ContainerName: "web", CPUStatsSet: &wire.CWStatsSet{SampleCount: 1}}}}}
}

func (metrics) TaskHealth(context.Context) []wire.TaskHealth {
	return []wire.TaskHealth{{TaskARN: "t1", Containers: []wire.ContainerHealth{{ContainerName: "web", HealthStatus: "HEALTHY"}}}}
}

// TestTelemetry_Publishes: signed frames reach TCS, which acknowledges
// them and keeps the latest per instance.
func TestTelemetry_Publishes(t *testing.T) {
	p := acstest.NewPlane(t, acstest.Options{})
	c := newTestClient(t, p, "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg, err := c.RegisterContainerInstance(ctx, RegisterInput{CPU: 1024, MemoryMiB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	tel := NewTelemetry(c, TelemetryConfig{InstanceARN: reg.ContainerInstanceARN, PublishInterval: 30 * time.Millisecond}, metrics{})
	go func() { _ = tel.Run(ctx) }()
	eventually(t, "publications were acknowledged", func() bool { return tel.Acks() >= 4 })
	got, ok := p.Server.Telemetry(reg.ContainerInstanceARN)
	if !ok || got.Metrics == nil || got.Metrics.TaskMetrics[0].TaskARN != "t1" || got.Health == nil {
		t.Errorf("telemetry = %+v, %v", got, ok)
	}
	var authorized bool
	for _, r := range p.Authz.Requests() {
		if r.Action == "ecs:StartTelemetrySession" && r.Resources[0] == reg.ContainerInstanceARN {
			authorized = true
		}
	}
	if !authorized {
		t.Error("ecs:StartTelemetrySession was not authorized")
	}
}
