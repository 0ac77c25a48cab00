// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/acs/acstest"
)

const rciTarget = "AmazonEC2ContainerServiceV20141113.RegisterContainerInstance"

func newTestClient(t *testing.T, p *acstest.Plane, cluster string) *Client {
	t.Helper()
	return NewClient(p.AWSConfig(""), ClientConfig{Endpoint: p.URL, Cluster: cluster, Logger: acstest.Logger()})
}

// TestClient_RegisterContainerInstance covers registration as the ECS
// agent does it: the agent-only clientToken, the attribute echo check,
// and CreateCluster only for the default cluster.
func TestClient_RegisterContainerInstance(t *testing.T) {
	attrs := map[string]string{"ecs.os-type": "linux", "ecs.availability-zone": "us-east-1b", "stack": "prod"}
	tests := []struct {
		name        string
		cluster     string
		drop        string
		wantErr     error
		wantCluster string // created
		terminal    bool
	}{
		{name: "echoed", cluster: "test"},
		{name: "attribute not echoed", cluster: "test", drop: "stack", wantErr: ErrAttributeMismatch, terminal: true},
		{name: "default cluster created", cluster: "", wantCluster: "default"},
		{name: "configured cluster missing", cluster: "prod", wantErr: errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := acstest.NewPlane(t, acstest.Options{})
			p.ECS.SetDropAttribute(tc.drop)
			c := newTestClient(t, p, tc.cluster)
			reg, err := c.RegisterContainerInstance(context.Background(), RegisterInput{
				CPU: 2048, MemoryMiB: 3800, ReservedPorts: DefaultReservedPorts, Attributes: attrs,
			})
			switch {
			case tc.wantErr == errAny && err == nil, tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			case tc.wantErr == nil && err != nil:
				t.Fatalf("register: %v", err)
			}
			if IsTerminal(err) != tc.terminal {
				t.Errorf("IsTerminal(%v) = %v, want %v", err, !tc.terminal, tc.terminal)
			}
			if tc.cluster == "prod" && p.ECS.ClusterExists("prod") {
				t.Error("a configured cluster was created")
			}
			if tc.wantCluster != "" && !p.ECS.ClusterExists(tc.wantCluster) {
				t.Errorf("cluster %s was not created", tc.wantCluster)
			}
			if err != nil {
				return
			}
			if reg.AvailabilityZone != "us-east-1b" || reg.ContainerInstanceARN == "" {
				t.Errorf("registration = %+v", reg)
			}
			var body map[string]any
			if err := json.Unmarshal(p.LastBody(rciTarget), &body); err != nil {
				t.Fatal(err)
			}
			if tok, _ := body["clientToken"].(string); len(tok) != 36 {
				t.Errorf("clientToken = %v, want a UUID", body["clientToken"])
			}
			regs := p.ECS.Registrations()
			res := regs[len(regs)-1].TotalResources
			got := map[string]any{}
			for _, r := range res {
				if len(r.StringSetValue) > 0 {
					got[aws.ToString(r.Name)] = r.StringSetValue
				} else {
					got[aws.ToString(r.Name)] = aws.ToInt32(r.IntegerValue)
				}
			}
			want := map[string]any{"CPU": int32(2048), "MEMORY": int32(3800), "PORTS": []string{"22", "2375", "2376", "51678", "51679"}, "PORTS_UDP": int32(0)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("totalResources (-want +got):\n%s", diff)
			}
		})
	}
}

var errAny = errors.New("any error")

// TestClient_SubmitTaskStateChange sends a state change with its
// container and network bindings.
func TestClient_SubmitTaskStateChange(t *testing.T) {
	p := acstest.NewPlane(t, acstest.Options{})
	c := newTestClient(t, p, "test")
	exit := int32(0)
	err := c.SubmitTaskStateChange(context.Background(), TaskStateChange{
		TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/test/abc", Status: "RUNNING",
		Containers: []ContainerStateChange{{Name: "web", RuntimeID: "r1", Status: "RUNNING", ExitCode: &exit,
			NetworkBindings: []NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: 80, HostPort: 32768, Protocol: "tcp"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SubmitContainerStateChange(context.Background(), "arn:aws:ecs:us-east-1:123456789012:task/test/abc",
		ContainerStateChange{Name: "web", Status: "STOPPED", ExitCode: &exit}); err != nil {
		t.Fatal(err)
	}
	ch := p.ECS.Changes()
	if len(ch) != 1 {
		t.Fatalf("%d changes", len(ch))
	}
	got := ch[0]
	nb := got.Containers[0].NetworkBindings[0]
	if aws.ToString(got.Cluster) != "test" || aws.ToString(got.Status) != "RUNNING" || aws.ToInt32(nb.HostPort) != 32768 ||
		aws.ToString(nb.Protocol) != "tcp" || aws.ToString(got.Containers[0].RuntimeId) != "r1" {
		t.Errorf("change = %+v, binding %+v", got, nb)
	}
	if n := len(p.ECS.ContainerChanges()); n != 1 {
		t.Errorf("%d container changes, want 1", n)
	}
}

func TestWSURL(t *testing.T) {
	tests := []struct{ endpoint, want string }{
		{"http://127.0.0.1:4566/acs", "ws://127.0.0.1:4566/acs/ws?a=b"},
		{"https://ecs-a-1.us-east-1.amazonaws.com", "wss://ecs-a-1.us-east-1.amazonaws.com/ws?a=b"},
		{"http://h/tcs/", "ws://h/tcs/ws?a=b"},
	}
	for _, tc := range tests {
		u, err := wsURL(tc.endpoint, map[string][]string{"a": {"b"}})
		if err != nil || u.String() != tc.want {
			t.Errorf("wsURL(%q) = %v, %v; want %s", tc.endpoint, u, err, tc.want)
		}
	}
	if _, err := wsURL("ftp://h", nil); err == nil {
		t.Error("ftp endpoint accepted")
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 250 * time.Millisecond, max: 2 * time.Minute}
	prev := time.Duration(0)
	for i := 0; i < 30; i++ {
		d := b.next()
		if d < time.Duration(float64(b.cur)*0.8) || d > time.Duration(float64(b.cur)*1.2) {
			t.Fatalf("step %d: %v outside ±20%% of %v", i, d, b.cur)
		}
		if b.cur < prev || b.cur > 2*time.Minute {
			t.Fatalf("step %d: base %v after %v", i, b.cur, prev)
		}
		prev = b.cur
	}
	if b.cur != 2*time.Minute {
		t.Errorf("base after 30 steps = %v, want the 2 min cap", b.cur)
	}
	b.reset()
	if d := b.next(); d > 300*time.Millisecond {
		t.Errorf("after reset %v, want about 250ms", d)
	}
}
