// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/creds"
	"github.com/berthdev/berth/internal/agent/docker/dockertest"
)

const (
	taskA = "arn:aws:ecs:us-east-1:000000000000:task/c/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	taskB = "arn:aws:ecs:us-east-1:000000000000:task/c/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	taskH = "arn:aws:ecs:us-east-1:000000000000:task/c/hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
)

var (
	ipA    = netip.MustParseAddr("172.17.0.2")
	ipB    = netip.MustParseAddr("172.17.0.3")
	hostIP = netip.MustParseAddr("192.0.2.2")
	quiet  = slog.New(slog.DiscardHandler)
)

func appCreds(key string) creds.Credentials {
	return creds.Credentials{RoleARN: "arn:aws:iam::000000000000:role/app", AccessKeyID: key,
		SecretAccessKey: "secret-" + key, SessionToken: "token-" + key, Expiration: "2030-01-01T00:00:00Z"}
}

type fixture struct {
	srv *creds.Server
	m   *creds.Memory
	reg *creds.Registry
}

func newFixture(t testing.TB, cfg creds.Config) *fixture {
	t.Helper()
	m, reg := creds.NewMemory(), creds.NewRegistry()
	srv, err := creds.New(cfg, creds.Deps{
		Credentials: m, Registry: reg, Stats: dockertest.New(), Logger: quiet,
		HostAddrs: func() ([]netip.Addr, error) { return []netip.Addr{hostIP}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	must(t, m.Set("a-app", appCreds("ASIAAAPP"), taskA, creds.RoleTaskApplication))
	must(t, m.Set("a-exec", appCreds("ASIAAEXEC"), taskA, creds.RoleTaskExecution))
	must(t, m.Set("b-app", appCreds("ASIABAPP"), taskB, creds.RoleTaskApplication))
	must(t, m.Set("b-pending", creds.Credentials{}, taskB, creds.RoleTaskApplication))
	must(t, m.Set("h-app", appCreds("ASIAHAPP"), taskH, creds.RoleTaskApplication))
	reg.SetContainerAddrs(taskA, "web", false, []netip.Addr{ipA})
	reg.SetContainerAddrs(taskB, "web", false, []netip.Addr{ipB})
	reg.SetContainerAddrs(taskH, "web", true, nil)
	return &fixture{srv: srv, m: m, reg: reg}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(path string, from netip.Addr) (int, map[string]any) {
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = netip.AddrPortFrom(from, 40000).String()
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body
}

func TestServer_Credentials(t *testing.T) {
	f := newFixture(t, creds.Config{SettleTimeout: 10 * time.Millisecond})
	loop := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name     string
		path     string
		from     netip.Addr
		wantCode int
		wantErr  string // ECS error code, or "" for success
		wantKey  string
	}{
		{"own task v2", "/v2/credentials/a-app", ipA, 200, "", "ASIAAAPP"},
		{"own task v1", "/v1/credentials?id=a-app", ipA, 200, "", "ASIAAAPP"},
		{"own execution role", "/v2/credentials/a-exec", ipA, 200, "", "ASIAAEXEC"},
		{"other task's id", "/v2/credentials/b-app", ipA, 400, "InvalidIdInRequest", ""},
		{"unknown source", "/v2/credentials/a-app", netip.MustParseAddr("172.17.0.99"), 400, "InvalidIdInRequest", ""},
		{"unknown id", "/v2/credentials/nope", ipA, 400, "InvalidIdInRequest", ""},
		{"no id v2", "/v2/credentials/", ipA, 400, "NoIdInRequest", ""},
		{"no id v2 bare", "/v2/credentials", ipA, 400, "NoIdInRequest", ""},
		{"no id v1", "/v1/credentials", ipA, 400, "NoIdInRequest", ""},
		{"pending", "/v2/credentials/b-pending", ipB, 503, "CredentialsUninitialized", ""},
		{"host-network task from loopback", "/v2/credentials/h-app", loop, 200, "", "ASIAHAPP"},
		{"host-network task from a host address", "/v2/credentials/h-app", hostIP, 200, "", "ASIAHAPP"},
		{"host-network task from a bridge container", "/v2/credentials/h-app", ipA, 400, "InvalidIdInRequest", ""},
		{"bridge task role from the host", "/v2/credentials/a-app", loop, 400, "InvalidIdInRequest", ""},
		{"bridge task execution role from the host (dockerd)", "/v2/credentials/a-exec", hostIP, 200, "", "ASIAAEXEC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.get(tc.path, tc.from)
			if code != tc.wantCode {
				t.Fatalf("status %d (%v), want %d", code, body, tc.wantCode)
			}
			if tc.wantErr != "" {
				if body["code"] != tc.wantErr || body["message"] == "" {
					t.Errorf("error body %v, want code %s", body, tc.wantErr)
				}
				return
			}
			want := map[string]any{"RoleArn": "arn:aws:iam::000000000000:role/app", "AccessKeyId": tc.wantKey,
				"SecretAccessKey": "secret-" + tc.wantKey, "Token": "token-" + tc.wantKey, "Expiration": "2030-01-01T00:00:00Z"}
			if d := cmp.Diff(want, body); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
}

func TestServer_Credentials_WaitsForStartingContainer(t *testing.T) {
	f := newFixture(t, creds.Config{SettleTimeout: 2 * time.Second})
	newIP := netip.MustParseAddr("172.17.0.7")
	f.reg.ExpectAddrs(taskA, "sidecar", time.Minute)
	go func() {
		time.Sleep(50 * time.Millisecond)
		f.reg.SetContainerAddrs(taskA, "sidecar", false, []netip.Addr{newIP})
	}()
	start := time.Now()
	if code, body := f.get("/v2/credentials/a-app", newIP); code != 200 {
		t.Fatalf("status %d %v: the request should have waited for the registration", code, body)
	}
	if time.Since(start) > time.Second {
		t.Errorf("waited %v", time.Since(start))
	}
	// Nothing expected: an unknown source is refused at once.
	start = time.Now()
	if code, _ := f.get("/v2/credentials/a-app", netip.MustParseAddr("172.17.0.8")); code != 400 {
		t.Fatalf("unknown source accepted")
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Errorf("refusal took %v with nothing starting", time.Since(start))
	}
}

func TestServer_RateLimit(t *testing.T) {
	f := newFixture(t, creds.Config{RateLimit: 1, RateBurst: 3})
	var codes []int
	for range 5 {
		code, _ := f.get("/v2/credentials/a-app", ipA)
		codes = append(codes, code)
	}
	if d := cmp.Diff([]int{200, 200, 200, 429, 429}, codes); d != "" {
		t.Errorf("codes (-want +got):\n%s", d)
	}
	// Another source has its own bucket.
	if code, _ := f.get("/v2/credentials/b-app", ipB); code != 200 {
		t.Errorf("other source limited: %d", code)
	}
}

func taskMetadata() creds.TaskMetadata {
	exit := 0
	return creds.TaskMetadata{
		Cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/c", TaskARN: taskA, Family: "web", Revision: "3",
		DesiredStatus: "RUNNING", KnownStatus: "RUNNING", LaunchType: "EC2", AvailabilityZone: "us-east-1a",
		Containers: []creds.ContainerMetadata{
			{EndpointID: "ep-web", DockerID: "d1", Name: "web", DockerName: "ecs-web-3-web-1", Image: "img:1", ImageID: "sha256:1",
				Labels: map[string]string{"com.amazonaws.ecs.task-arn": taskA}, DesiredStatus: "RUNNING", KnownStatus: "RUNNING",
				Limits: creds.Limits{CPU: 128, Memory: 256}, Type: "NORMAL", LogDriver: "json-file",
				Networks: []creds.Network{{NetworkMode: "bridge", IPv4Addresses: []string{ipA.String()}}},
				Ports:    []creds.Port{{ContainerPort: 8080, Protocol: "tcp", HostPort: 32768, HostIP: "0.0.0.0"}}},
			{EndpointID: "ep-init", DockerID: "d2", Name: "init", Image: "img:1", DesiredStatus: "RUNNING", KnownStatus: "STOPPED", ExitCode: &exit, Type: "NORMAL"},
		},
	}
}

func TestServer_TaskMetadata(t *testing.T) {
	f := newFixture(t, creds.Config{})
	f.reg.PutTask(taskMetadata())
	t.Run("v4 container", func(t *testing.T) {
		code, body := f.get("/v4/ep-web", ipA)
		if code != 200 || body["DockerId"] != "d1" || body["Name"] != "web" || body["LogDriver"] != "json-file" {
			t.Fatalf("%d %v", code, body)
		}
		ports := body["Ports"].([]any)[0].(map[string]any)
		if ports["HostPort"] != float64(32768) || ports["ContainerPort"] != float64(8080) {
			t.Errorf("ports %v", ports)
		}
		nets := body["Networks"].([]any)[0].(map[string]any)
		if nets["NetworkMode"] != "bridge" {
			t.Errorf("networks %v", nets)
		}
	})
	t.Run("v4 task", func(t *testing.T) {
		code, body := f.get("/v4/ep-init/task", ipA)
		if code != 200 {
			t.Fatal(code)
		}
		for k, want := range map[string]any{"Cluster": "arn:aws:ecs:us-east-1:000000000000:cluster/c", "TaskARN": taskA,
			"Family": "web", "Revision": "3", "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "LaunchType": "EC2"} {
			if body[k] != want {
				t.Errorf("%s = %v, want %v", k, body[k], want)
			}
		}
		if n := len(body["Containers"].([]any)); n != 2 {
			t.Errorf("%d containers", n)
		}
	})
	t.Run("v3 task has no v4 fields", func(t *testing.T) {
		_, body := f.get("/v3/ep-web/task", ipA)
		if _, ok := body["LaunchType"]; ok {
			t.Errorf("v3 shows LaunchType")
		}
		if _, ok := body["Containers"].([]any)[0].(map[string]any)["LogDriver"]; ok {
			t.Errorf("v3 shows LogDriver")
		}
	})
	t.Run("stats", func(t *testing.T) {
		code, body := f.get("/v4/ep-web/task/stats", ipA)
		if code != 200 || len(body) != 2 {
			t.Errorf("task stats %d %v", code, body)
		}
		if code, _ := f.get("/v4/ep-web/stats", ipA); code != 200 {
			t.Errorf("stats %d", code)
		}
	})
	t.Run("other task's endpoint", func(t *testing.T) {
		if code, _ := f.get("/v4/ep-web/task", ipB); code != 404 {
			t.Errorf("status %d, want 404", code)
		}
		if code, _ := f.get("/v4/nope", ipA); code != 404 {
			t.Errorf("unknown endpoint %d, want 404", code)
		}
	})
	t.Run("removed task", func(t *testing.T) {
		f.reg.RemoveTask(taskA)
		if code, _ := f.get("/v4/ep-web", ipA); code != 404 {
			t.Errorf("status %d after RemoveTask", code)
		}
	})
}

func TestRegistry_TaskForAddr(t *testing.T) {
	reg := creds.NewRegistry()
	reg.SetContainerAddrs(taskA, "web", false, []netip.Addr{ipA})
	ctx := context.Background()
	if arn, ok := reg.TaskForAddr(ctx, ipA, 0); !ok || arn != taskA {
		t.Errorf("TaskForAddr = %q %v", arn, ok)
	}
	// The container restarted with another address.
	reg.SetContainerAddrs(taskA, "web", false, []netip.Addr{ipB})
	if _, ok := reg.TaskForAddr(ctx, ipA, 0); ok {
		t.Errorf("stale address still maps")
	}
	// 4-in-6 form maps too.
	if arn, _ := reg.TaskForAddr(ctx, netip.AddrFrom16(ipB.As16()), 0); arn != taskA {
		t.Errorf("4in6 not unmapped")
	}
}
