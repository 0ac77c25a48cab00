// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/docker"
)

// fakeDaemon answers the few Engine API paths the tests use.
type fakeDaemon struct {
	mu   sync.Mutex
	auth []string // X-Registry-Auth headers of pulls
}

func (d *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", "1.41")
	switch {
	case r.URL.Path == "/_ping":
		w.Write([]byte("OK"))
	case strings.HasSuffix(r.URL.Path, "/images/create"):
		d.mu.Lock()
		d.auth = append(d.auth, r.Header.Get("X-Registry-Auth"))
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("fromImage") == "reg.example/ok" {
			w.Write([]byte(`{"status":"Pulling from ok"}` + "\n" + `{"status":"Download complete"}` + "\n"))
			return
		}
		w.Write([]byte(`{"status":"Pulling"}` + "\n" + `{"errorDetail":{"message":"unauthorized: token expired"},"error":"unauthorized: token expired"}` + "\n"))
	case strings.Contains(r.URL.Path, "/containers/") && strings.HasSuffix(r.URL.Path, "/json"):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"No such container: x"}`))
	default:
		http.NotFound(w, r)
	}
}

func TestEngine_PullAuthAndStreamErrors(t *testing.T) {
	d := &fakeDaemon{}
	srv := httptest.NewServer(d)
	defer srv.Close()
	eng, err := docker.New(docker.Config{Host: "tcp://" + strings.TrimPrefix(srv.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	auth := &docker.RegistryAuth{Username: "AWS", Password: "p@ss", ServerAddress: "reg.example"}
	if err := eng.ImagePull(ctx, "reg.example/ok:1", auth); err != nil {
		t.Fatalf("pull: %v", err)
	}
	err = eng.ImagePull(ctx, "reg.example/denied:1", nil)
	if err == nil || !strings.Contains(err.Error(), "unauthorized: token expired") {
		t.Errorf("error inside the pull stream not returned: %v", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	raw, err := base64.URLEncoding.DecodeString(d.auth[0])
	if err != nil {
		t.Fatalf("X-Registry-Auth %q: %v", d.auth[0], err)
	}
	var got map[string]string
	json.Unmarshal(raw, &got)
	if got["username"] != "AWS" || got["password"] != "p@ss" || got["serveraddress"] != "reg.example" {
		t.Errorf("registry auth sent: %v", got)
	}
	if _, err := eng.ContainerInspect(ctx, "x"); !errors.Is(err, docker.ErrNotFound) {
		t.Errorf("inspect of a missing container: %v, want ErrNotFound", err)
	}
}

// TestEngine_Real_Lifecycle drives a container through the Client methods
// on the local Docker Engine with the locally built probe image.
func TestEngine_Real_Lifecycle(t *testing.T) {
	eng := agenttest.Docker(t)
	img := agenttest.ProbeImage(t, eng)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := eng.ImageInspect(ctx, img); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.ImageInspect(ctx, "berth-test/absent:none"); !errors.Is(err, docker.ErrNotFound) {
		t.Errorf("absent image: %v", err)
	}
	label := "dev.berth.test.engine"
	value := agenttest.ID()
	id, err := eng.ContainerCreate(ctx, docker.CreateRequest{Name: "berth-test-" + value,
		Config: &container.Config{Image: img, Cmd: []string{"serve", "-addr", ":8080", "-term-exit", "7"}, Labels: map[string]string{label: value}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.ContainerRemove(context.Background(), id) })
	if err := eng.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	list, err := eng.ContainerList(ctx, map[string]string{label: value})
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("list by label: %v %+v", err, list)
	}
	if list, _ := eng.ContainerList(ctx, map[string]string{label: "other"}); len(list) != 0 {
		t.Errorf("label filter ignored: %+v", list)
	}
	if _, err := eng.NetworkInspect(ctx, "bridge"); err != nil {
		t.Errorf("network inspect: %v", err)
	}
	if b, err := eng.ContainerStats(ctx, id); err != nil || !json.Valid(b) {
		t.Errorf("stats: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if out, _, _ := eng.ContainerLogs(ctx, id); strings.Contains(out, "serving") {
			break
		}
	}
	waited := make(chan docker.WaitResult, 1)
	go func() {
		w, _ := eng.ContainerWait(ctx, id)
		waited <- w
	}()
	if err := eng.ContainerStop(ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-waited:
		if w.ExitCode != 7 {
			t.Errorf("exit %d, want 7", w.ExitCode)
		}
	case <-ctx.Done():
		t.Fatal("ContainerWait did not return")
	}
	if w, err := eng.ContainerWait(ctx, id); err != nil || w.ExitCode != 7 {
		t.Errorf("wait on an exited container: %v %v", w, err)
	}
	if err := eng.ContainerRemove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := eng.ContainerRemove(ctx, id); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := eng.ContainerInspect(ctx, id); !errors.Is(err, docker.ErrNotFound) {
		t.Errorf("inspect after remove: %v", err)
	}
}
