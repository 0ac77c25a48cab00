// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/agent/acs"
)

// captured is one request a fake ECS endpoint received.
type captured struct {
	target, contentType, auth string
	body                      map[string]any
}

func captureServer(t *testing.T, status int, answer string) (*httptest.Server, func() []captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		mu.Lock()
		got = append(got, captured{target: r.Header.Get("X-Amz-Target"), contentType: r.Header.Get("Content-Type"),
			auth: r.Header.Get("Authorization"), body: doc})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// TestStateClient_SameRequestAsSDK: the lean client sends the document,
// target and content type the SDK client (acs.Client) sends for the same
// changes, signed for ecs in the region.
func TestStateClient_SameRequestAsSDK(t *testing.T) {
	srv, got := captureServer(t, http.StatusOK, `{"acknowledgment":"true"}`)
	cfg := StaticAWSConfig("us-east-1", "AKIASIMAGENTTEST0001", "secret-secret-secret-secret-secret-00000", 4)
	sdk := acs.NewClient(cfg, acs.ClientConfig{Endpoint: srv.URL, Cluster: "bench", Logger: acstest.Logger()})
	lean := newStateClient(srv.URL, sdk.Cluster(), cfg, 4)
	code := int32(143)
	changes := []acs.TaskStateChange{
		{TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/bench/0123", Status: statusPending, Containers: []acs.ContainerStateChange{
			{Name: "app", RuntimeID: "sim-0123-app", Status: statusPending}}},
		{TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/bench/0123", Status: statusRunning, Containers: []acs.ContainerStateChange{
			{Name: "app", RuntimeID: "sim-0123-app", Status: statusRunning, NetworkBindings: []acs.NetworkBinding{
				{BindIP: "0.0.0.0", ContainerPort: 8080, HostPort: 32768}, {BindIP: "0.0.0.0", ContainerPort: 53, HostPort: 32769, Protocol: "udp"}}},
			{Name: "side", Status: statusRunning}}},
		{TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/bench/0123", Status: statusStopped, Reason: strings.Repeat("r", 1500),
			Containers: []acs.ContainerStateChange{{Name: "app", RuntimeID: "sim-0123-app", Status: statusStopped, ExitCode: &code}}},
	}
	ctx := context.Background()
	for _, ch := range changes {
		if err := sdk.SubmitTaskStateChange(ctx, ch); err != nil {
			t.Fatalf("SDK: %v", err)
		}
		if err := lean.SubmitTaskStateChange(ctx, ch); err != nil {
			t.Fatalf("lean: %v", err)
		}
	}
	reqs := got()
	if len(reqs) != 2*len(changes) {
		t.Fatalf("%d requests, want %d", len(reqs), 2*len(changes))
	}
	for i := 0; i < len(reqs); i += 2 {
		want, have := reqs[i], reqs[i+1]
		if diff := cmp.Diff(want.body, have.body); diff != "" {
			t.Errorf("change %d: document (-SDK +lean):\n%s", i/2, diff)
		}
		if have.target != want.target || have.contentType != want.contentType {
			t.Errorf("change %d: target %q content type %q, SDK sent %q %q", i/2, have.target, have.contentType, want.target, want.contentType)
		}
		if !strings.HasPrefix(have.auth, "AWS4-HMAC-SHA256 Credential=AKIASIMAGENTTEST0001/") ||
			!strings.Contains(have.auth, "/us-east-1/ecs/aws4_request") || !strings.Contains(have.auth, "x-amz-date") {
			t.Errorf("change %d: Authorization %q", i/2, have.auth)
		}
	}
}

// TestStateClient_Errors: an InvalidParameterException answer is one
// acs.IsInvalidParameter recognizes (the fleet drops the change); a server
// error is not (the fleet retries it).
func TestStateClient_Errors(t *testing.T) {
	cfg := StaticAWSConfig("us-east-1", "AKIASIMAGENTTEST0001", "secret-secret-secret-secret-secret-00000", 4)
	ch := acs.TaskStateChange{TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/bench/0123", Status: statusRunning}

	srv, _ := captureServer(t, http.StatusBadRequest, `{"__type":"InvalidParameterException","message":"The referenced task was not found."}`)
	err := newStateClient(srv.URL, "bench", cfg, 4).SubmitTaskStateChange(context.Background(), ch)
	if !acs.IsInvalidParameter(err) || !strings.Contains(err.Error(), "The referenced task was not found.") {
		t.Errorf("400 InvalidParameterException: err = %v, want an InvalidParameterException", err)
	}

	srv, _ = captureServer(t, http.StatusInternalServerError, `{"__type":"com.amazonaws.ecs#ServerException","message":"boom"}`)
	err = newStateClient(srv.URL, "bench", cfg, 4).SubmitTaskStateChange(context.Background(), ch)
	if err == nil || acs.IsInvalidParameter(err) || !strings.Contains(err.Error(), "ServerException") {
		t.Errorf("500 ServerException: err = %v, want a ServerException", err)
	}
}

// TestStateClient_ReusesAndRedials: changes share one keep-alive
// connection, and a change sent on a connection the server closed
// meanwhile is sent again on a new one.
func TestStateClient_ReusesAndRedials(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		mu.Lock()
		conns[r.RemoteAddr]++
		mu.Unlock()
		_, _ = io.WriteString(w, `{"acknowledgment":"true"}`)
	}))
	defer srv.Close()
	cfg := StaticAWSConfig("us-east-1", "AKIASIMAGENTTEST0001", "secret-secret-secret-secret-secret-00000", 4)
	c := newStateClient(srv.URL, "bench", cfg, 4)
	ch := acs.TaskStateChange{TaskARN: "arn:aws:ecs:us-east-1:123456789012:task/bench/0123", Status: statusRunning}
	for range 3 {
		if err := c.SubmitTaskStateChange(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
	}
	srv.CloseClientConnections()
	if err := c.SubmitTaskStateChange(context.Background(), ch); err != nil {
		t.Fatalf("after the server closed the connection: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var counts []int
	for _, n := range conns {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	if diff := cmp.Diff([]int{1, 3}, counts); diff != "" {
		t.Errorf("requests per connection (-want +got):\n%s", diff)
	}
}
