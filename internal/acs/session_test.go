// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/acs"
	"github.com/berthdev/berth/internal/acs/wire"
)

// fakeRoles mints numbered credentials, refusing the roles in deny.
type fakeRoles struct {
	mu    sync.Mutex
	n     int
	deny  map[string]bool
	calls []string
}

func (f *fakeRoles) AssumeRoleAsService(_ context.Context, sp, roleARN, session string, d time.Duration) (*acs.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, sp+" "+roleARN+" "+session)
	if f.deny[roleARN] {
		return nil, errors.New("AccessDenied: the trust policy does not allow ecs-tasks.amazonaws.com")
	}
	f.n++
	return &acs.Credentials{AccessKeyID: fmt.Sprintf("ASIATEST%012d", f.n), SecretAccessKey: "secret", SessionToken: "token",
		Expiration: time.Now().Add(d).Truncate(time.Second)}, nil
}

func (f *fakeRoles) setDeny(roleARN string, deny bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny == nil {
		f.deny = map[string]bool{}
	}
	f.deny[roleARN] = deny
}

type staticKeys []byte

func (k staticKeys) CredentialsIDKey(context.Context) ([]byte, error) { return k, nil }

func acsDeps() acs.Deps {
	return acs.Deps{Roles: &fakeRoles{}, Keys: staticKeys("0123456789abcdef0123456789abcdef")}
}

func connect(t *testing.T, st *stack, sendCredentials bool) *agentConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := st.dial(ctx, "/acs/ws", acsQuery("test", instanceARN, sendCredentials), agentSecret)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.ws.CloseNow() })
	return c
}

func ack(t *testing.T, c *agentConn, p wire.PayloadMessage) {
	t.Helper()
	c.send(t, wire.TypeAckRequest, wire.AckRequest{Cluster: p.ClusterARN, ContainerInstance: p.ContainerInstanceARN, MessageID: p.MessageID})
}

// TestSession_Payload_ResentUntilAcked: a payload is sent again with the
// same message id until the agent acknowledges it, and then no more.
func TestSession_Payload_ResentUntilAcked(t *testing.T) {
	st := newStack(t, fastConfig(), acsDeps())
	st.Backend.SetTasks(instanceARN, webTask(7, "RUNNING"))
	c := connect(t, st, false)

	first := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	if first.ClusterARN != clusterARN || first.ContainerInstanceARN != instanceARN || len(first.Tasks) != 1 || first.SeqNum == 0 {
		t.Fatalf("payload = %+v, want one task for the instance and a seqNum", first)
	}
	again := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	if again.MessageID != first.MessageID {
		t.Fatalf("resent message id = %s, want %s", again.MessageID, first.MessageID)
	}
	ack(t, c, first)
	c.none(t, time.Second, wire.TypePayloadMessage)
	if !st.Backend.Connected(instanceARN) {
		t.Error("agent not recorded as connected")
	}
}

// TestSession_Payload_Delta: only tasks whose Version changed are sent;
// a stop is the same task ARN with desiredStatus STOPPED.
func TestSession_Payload_Delta(t *testing.T) {
	st := newStack(t, fastConfig(), acsDeps())
	other := webTask(1, "RUNNING")
	other.TaskARN = "arn:aws:ecs:us-east-1:123456789012:task/test/ffffffffffffffffffffffffffffffff"
	st.Backend.SetTasks(instanceARN, webTask(7, "RUNNING"), other)
	c := connect(t, st, false)
	p := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	if len(p.Tasks) != 2 {
		t.Fatalf("first payload has %d tasks, want 2", len(p.Tasks))
	}
	ack(t, c, p)

	stop := webTask(8, "STOPPED")
	st.Backend.SetTasks(instanceARN, stop, other)
	p = decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	got := make([]string, 0, len(p.Tasks))
	for _, tk := range p.Tasks {
		got = append(got, tk.ARN+" "+tk.DesiredStatus)
	}
	if diff := cmp.Diff([]string{stop.TaskARN + " STOPPED"}, got); diff != "" {
		t.Errorf("delta payload (-want +got):\n%s", diff)
	}
	ack(t, c, p)
	c.none(t, 500*time.Millisecond, wire.TypePayloadMessage)
}

// TestSession_Credentials_StableID: the credentials id of a task role is
// the same in the payload, in every refresh, after a reconnect with
// sendCredentials=true and on a restarted server with the same key.
func TestSession_Credentials_StableID(t *testing.T) {
	cfg := fastConfig()
	cfg.CredentialsDuration = 1500 * time.Millisecond
	cfg.CredentialsRefreshBefore = 1000 * time.Millisecond
	roles := &fakeRoles{}
	deps := acsDeps()
	deps.Roles = roles
	st := newStack(t, cfg, deps)
	task := webTask(1, "RUNNING")
	task.TaskRoleARN = "arn:aws:iam::123456789012:role/app"
	task.ExecutionRoleARN = "arn:aws:iam::123456789012:role/exec"
	st.Backend.SetTasks(instanceARN, task)

	c := connect(t, st, false)
	p := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	rc, ec := p.Tasks[0].RoleCredentials, p.Tasks[0].ExecutionRoleCredentials
	if rc == nil || ec == nil {
		t.Fatalf("payload task credentials = %+v / %+v, want both", rc, ec)
	}
	if rc.CredentialsID == ec.CredentialsID || rc.RoleARN != task.TaskRoleARN || rc.AccessKeyID == "" {
		t.Fatalf("role credentials %+v, execution %+v", rc, ec)
	}
	if _, err := time.Parse(time.RFC3339, rc.Expiration); err != nil {
		t.Errorf("expiration %q is not RFC 3339: %v", rc.Expiration, err)
	}
	ack(t, c, p)

	refresh := decode[wire.IAMRoleCredentialsMessage](t, c.next(t, 5*time.Second, wire.TypeIAMRoleCredentialsMessage))
	want := map[string]string{wire.RoleTypeTaskApplication: rc.CredentialsID, wire.RoleTypeTaskExecution: ec.CredentialsID}
	if refresh.RoleCredentials.CredentialsID != want[refresh.RoleType] || refresh.TaskARN != task.TaskARN {
		t.Fatalf("refresh %+v: credentials id changed (want %s)", refresh, want[refresh.RoleType])
	}
	if refresh.RoleCredentials.AccessKeyID == rc.AccessKeyID && refresh.RoleCredentials.AccessKeyID == ec.AccessKeyID {
		t.Errorf("refresh carried the old credentials")
	}
	c.send(t, wire.TypeIAMRoleCredentialsAckRequest, wire.IAMRoleCredentialsAckRequest{MessageID: refresh.MessageID,
		CredentialsID: refresh.RoleCredentials.CredentialsID, Expiration: refresh.RoleCredentials.Expiration})
	c.ws.Close(websocket.StatusNormalClosure, "")

	// Reconnect as a restarted agent: the payload and the credentials
	// messages carry the same ids.
	c = connect(t, st, true)
	p = decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	if got := p.Tasks[0].RoleCredentials.CredentialsID; got != rc.CredentialsID {
		t.Errorf("after reconnect credentials id = %s, want %s", got, rc.CredentialsID)
	}
	seen := map[string]string{}
	for len(seen) < 2 {
		m := decode[wire.IAMRoleCredentialsMessage](t, c.next(t, 5*time.Second, wire.TypeIAMRoleCredentialsMessage))
		seen[m.RoleType] = m.RoleCredentials.CredentialsID
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("credentials ids resent for sendCredentials=true (-want +got):\n%s", diff)
	}

	// Another server (a restart or another replica) with the same key
	// derives the same ids.
	if got := acs.CredentialsID([]byte("0123456789abcdef0123456789abcdef"), task.TaskARN, wire.RoleTypeTaskApplication); got != rc.CredentialsID {
		t.Errorf("CredentialsID = %s, want %s", got, rc.CredentialsID)
	}
	st2 := newStack(t, cfg, acs.Deps{Roles: &fakeRoles{}, Keys: deps.Keys})
	st2.Backend.SetTasks(instanceARN, task)
	c2 := connect(t, st2, false)
	p2 := decode[wire.PayloadMessage](t, c2.next(t, 5*time.Second, wire.TypePayloadMessage))
	if got := p2.Tasks[0].RoleCredentials.CredentialsID; got != rc.CredentialsID {
		t.Errorf("other server's credentials id = %s, want %s", got, rc.CredentialsID)
	}
	roles.mu.Lock()
	defer roles.mu.Unlock()
	if len(roles.calls) == 0 || roles.calls[0] != "ecs-tasks.amazonaws.com arn:aws:iam::123456789012:role/app 0123456789abcdef0123456789abcdef" &&
		roles.calls[0] != "ecs-tasks.amazonaws.com arn:aws:iam::123456789012:role/exec 0123456789abcdef0123456789abcdef" {
		t.Errorf("assume calls = %q, want ecs-tasks.amazonaws.com with the task id as session name", roles.calls)
	}
}

// TestSession_Credentials_RoleDenied: a role whose trust policy refuses
// ecs-tasks.amazonaws.com leaves the task without credentials; once it is
// allowed, the credentials follow in an IAMRoleCredentialsMessage.
func TestSession_Credentials_RoleDenied(t *testing.T) {
	roles := &fakeRoles{}
	roles.setDeny("arn:aws:iam::123456789012:role/app", true)
	deps := acsDeps()
	deps.Roles = roles
	st := newStack(t, fastConfig(), deps)
	task := webTask(1, "RUNNING")
	task.TaskRoleARN = "arn:aws:iam::123456789012:role/app"
	st.Backend.SetTasks(instanceARN, task)
	c := connect(t, st, false)
	p := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	if p.Tasks[0].RoleCredentials != nil {
		t.Fatalf("denied role delivered credentials %+v", p.Tasks[0].RoleCredentials)
	}
	ack(t, c, p)
	roles.setDeny("arn:aws:iam::123456789012:role/app", false)
	m := decode[wire.IAMRoleCredentialsMessage](t, c.next(t, 5*time.Second, wire.TypeIAMRoleCredentialsMessage))
	if m.RoleType != wire.RoleTypeTaskApplication || m.RoleCredentials.AccessKeyID == "" {
		t.Errorf("credentials after the trust policy allowed them: %+v", m)
	}
}

// TestSession_Heartbeat: heartbeats arrive on the configured interval and
// a silent agent is disconnected after the inactivity timeout.
func TestSession_Heartbeat(t *testing.T) {
	cfg := fastConfig()
	cfg.HeartbeatInterval = 50 * time.Millisecond
	cfg.HeartbeatJitter = -1
	cfg.InactivityTimeout = 600 * time.Millisecond
	st := newStack(t, cfg, acsDeps())
	c := connect(t, st, false)
	for i := 0; i < 3; i++ {
		hb := decode[wire.HeartbeatMessage](t, c.next(t, 2*time.Second, wire.TypeHeartbeatMessage))
		if !hb.Healthy || hb.MessageID == "" {
			t.Fatalf("heartbeat = %+v", hb)
		}
		c.send(t, wire.TypeHeartbeatAckRequest, wire.HeartbeatAckRequest{MessageID: hb.MessageID})
	}
	// Stop acknowledging: the server closes the connection.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-c.msgs:
			if ok {
				continue
			}
			if got := websocket.CloseStatus(c.err); got != websocket.StatusPolicyViolation {
				t.Errorf("close status = %v (%v), want policy violation", got, c.err)
			}
			eventually(t, 5*time.Second, "the agent is recorded as disconnected", func() bool { return !st.Backend.Connected(instanceARN) })
			return
		case <-deadline:
			t.Fatal("a silent agent was not disconnected")
		}
	}
}

// TestSession_Manifest: the manifest lists the instance's tasks and a
// stop verification gets the unknown candidates confirmed.
func TestSession_Manifest(t *testing.T) {
	cfg := fastConfig()
	cfg.ManifestInterval = 100 * time.Millisecond
	st := newStack(t, cfg, acsDeps())
	task := webTask(1, "RUNNING")
	st.Backend.SetTasks(instanceARN, task)
	c := connect(t, st, false)
	p := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	ack(t, c, p)
	m := decode[wire.TaskManifestMessage](t, c.next(t, 5*time.Second, wire.TypeTaskManifestMessage))
	if len(m.Tasks) != 1 || m.Tasks[0].TaskARN != task.TaskARN || m.Tasks[0].DesiredStatus != "RUNNING" || m.Timeline <= p.SeqNum {
		t.Fatalf("manifest = %+v (payload seqNum %d)", m, p.SeqNum)
	}
	stray := "arn:aws:ecs:us-east-1:123456789012:task/test/99999999999999999999999999999999"
	c.send(t, wire.TypeTaskStopVerificationMessage, wire.TaskStopVerificationMessage{MessageID: m.MessageID,
		StopCandidates: []wire.TaskIdentifier{{TaskARN: stray}, {TaskARN: task.TaskARN}}})
	a := decode[wire.TaskStopVerificationAck](t, c.next(t, 5*time.Second, wire.TypeTaskStopVerificationAck))
	if a.MessageID != m.MessageID || len(a.StopTasks) != 1 || a.StopTasks[0].TaskARN != stray {
		t.Errorf("stop verification ack = %+v, want only %s", a, stray)
	}
}

// TestSession_Replaced: a second connection of the same instance replaces
// the first, and the first one's end does not mark the agent disconnected.
func TestSession_Replaced(t *testing.T) {
	st := newStack(t, fastConfig(), acsDeps())
	c1 := connect(t, st, false)
	eventually(t, 5*time.Second, "connected", func() bool { return st.Server.Connected() == 1 })
	c2 := connect(t, st, false)
	for range c1.msgs {
	}
	if got := websocket.CloseStatus(c1.err); got != websocket.StatusNormalClosure {
		t.Errorf("replaced connection close status = %v", got)
	}
	time.Sleep(100 * time.Millisecond)
	if !st.Backend.Connected(instanceARN) || st.Server.Connected() != 1 {
		t.Fatalf("after replacement connected = %v, sessions = %d", st.Backend.Connected(instanceARN), st.Server.Connected())
	}
	c2.ws.Close(websocket.StatusNormalClosure, "")
	eventually(t, 5*time.Second, "disconnected", func() bool { return !st.Backend.Connected(instanceARN) })
}

// TestServer_Close ends sessions with 1001 so agents reconnect at once.
func TestServer_Close(t *testing.T) {
	st := newStack(t, fastConfig(), acsDeps())
	c := connect(t, st, false)
	eventually(t, 5*time.Second, "connected", func() bool { return st.Server.Connected() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := st.Server.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for range c.msgs {
	}
	if got := websocket.CloseStatus(c.err); got != websocket.StatusGoingAway {
		t.Errorf("close status = %v (%v), want going away", got, c.err)
	}
}

// TestSession_PeriodicSync: a task whose notification was lost is still
// delivered, by the periodic comparison.
func TestSession_PeriodicSync(t *testing.T) {
	cfg := fastConfig()
	cfg.SyncInterval = 100 * time.Millisecond
	st := newStack(t, cfg, acsDeps())
	c := connect(t, st, false)
	eventually(t, 5*time.Second, "connected", func() bool { return st.Server.Connected() == 1 })
	st.Backend.SetTasksSilently(instanceARN, webTask(1, "RUNNING"))
	p := decode[wire.PayloadMessage](t, c.next(t, 5*time.Second, wire.TypePayloadMessage))
	if len(p.Tasks) != 1 {
		t.Fatalf("payload = %+v", p)
	}
}
