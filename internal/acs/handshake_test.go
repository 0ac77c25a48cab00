// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/iam/authz"
)

// TestServer_Handshake_Refused covers every way an upgrade is refused:
// the body is the exception in the envelope the ECS agent decodes, and the
// type is in X-Amzn-ErrorType too.
func TestServer_Handshake_Refused(t *testing.T) {
	unknown := "arn:aws:ecs:us-east-1:123456789012:container-instance/test/ffffffffffffffffffffffffffffffff"
	tests := []struct {
		name     string
		path     string
		query    url.Values
		deny     string // action the authorizer denies
		status   int
		wantType string
		wantMsg  string // substring
	}{
		{"poll denied", "/acs/ws", acsQuery("test", instanceARN, true), "ecs:Poll", 400, wire.TypeAccessDeniedException,
			"is not authorized to perform: ecs:Poll on resource: " + instanceARN},
		{"telemetry denied", "/tcs/ws", tcsQuery("test", instanceARN), "ecs:StartTelemetrySession", 400, wire.TypeAccessDeniedException,
			"ecs:StartTelemetrySession"},
		{"inactive instance", "/acs/ws", acsQuery("test", unknown, false), "", 400, wire.TypeInactiveInstanceException, "is not active"},
		{"missing instance", "/acs/ws", acsQuery("test", "", false), "", 400, wire.TypeBadRequestException, "required"},
		{"not an instance ARN", "/acs/ws", acsQuery("test", "arn:aws:ecs:us-east-1:123456789012:task/test/x", false), "", 400,
			wire.TypeInvalidInstanceException, "not a container instance ARN"},
		{"bad cluster", "/acs/ws", acsQuery("a/b", instanceARN, false), "", 400, wire.TypeInvalidClusterException, "not a cluster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStack(t, fastConfig(), acsDeps())
			st.Authz.SetAllow(func(r authz.Request) bool { return r.Action != tc.deny })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, resp, err := st.dial(ctx, tc.path, tc.query, agentSecret)
			if err == nil {
				c.ws.CloseNow()
				t.Fatal("upgrade succeeded, want it refused")
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tc.wantType {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tc.wantType)
			}
			var env struct {
				Type    string `json:"type"`
				Message struct {
					Message string `json:"message"`
				} `json:"message"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if env.Type != tc.wantType || !strings.Contains(env.Message.Message, tc.wantMsg) {
				t.Errorf("body = %s, want type %s and a message containing %q", body, tc.wantType, tc.wantMsg)
			}
			if st.Backend.Connected(instanceARN) {
				t.Error("a refused agent was recorded as connected")
			}
		})
	}
}

// TestServer_Handshake_AuthorizesPoll checks the authorization request:
// ecs:Poll on the container instance with ecs:cluster the cluster ARN,
// even when the agent names the cluster by its short name.
func TestServer_Handshake_AuthorizesPoll(t *testing.T) {
	tests := []struct {
		name, cluster, path, action string
		query                       func(cluster string) url.Values
	}{
		{"acs by name", "test", "/acs/ws", "ecs:Poll", func(c string) url.Values { return acsQuery(c, instanceARN, false) }},
		{"acs by arn", clusterARN, "/acs/ws", "ecs:Poll", func(c string) url.Values { return acsQuery(c, instanceARN, false) }},
		{"tcs by name", "test", "/tcs/ws", "ecs:StartTelemetrySession", func(c string) url.Values { return tcsQuery(c, instanceARN) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStack(t, fastConfig(), acsDeps())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := st.dial(ctx, tc.path, tc.query(tc.cluster), agentSecret)
			if err != nil {
				t.Fatal(err)
			}
			defer c.ws.CloseNow()
			var got []authz.Request
			for _, r := range st.Authz.Requests() {
				got = append(got, authz.Request{Action: r.Action, Resources: r.Resources, Context: r.Context})
			}
			want := []authz.Request{{Action: tc.action, Resources: []string{instanceARN}, Context: map[string][]string{"ecs:cluster": {clusterARN}}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("authorization requests (-want +got):\n%s", diff)
			}
			if p := st.Authz.Requests()[0].Principal; p == nil || !strings.Contains(p.ARN, "ecsInstanceRole") {
				t.Errorf("principal = %+v, want the signer's", p)
			}
		})
	}
}

// TestServer_Handshake_BadSignature sends the upgrade through the real
// gateway signed with the wrong secret: SigV4 rejects it before the ACS
// server sees it.
func TestServer_Handshake_BadSignature(t *testing.T) {
	st := newStack(t, fastConfig(), acsDeps())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err := st.dial(ctx, "/acs/ws", acsQuery("test", instanceARN, true), "not-the-secret")
	if err == nil || resp == nil {
		t.Fatalf("upgrade with a bad signature: err = %v, want a refused handshake", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode < 400 {
		t.Fatalf("status = %d, want a 4xx", resp.StatusCode)
	}
	if !strings.Contains(string(body), "InvalidSignatureException") {
		t.Errorf("body = %s, want InvalidSignatureException", body)
	}
	if n := len(st.Authz.Requests()); n != 0 {
		t.Errorf("%d authorization requests, want none", n)
	}
	if n := st.Backend.Connects(); n != 0 {
		t.Errorf("ConnectAgent called %d times, want 0", n)
	}
}

func tcsQuery(cluster, inst string) url.Values {
	q := url.Values{}
	q.Set("agentVersion", "1.105.1")
	q.Set("cluster", cluster)
	q.Set("containerInstance", inst)
	q.Set("dockerVersion", "28.5.2")
	return q
}
