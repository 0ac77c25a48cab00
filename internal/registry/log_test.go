// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of request
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRegistry_Logs checks distribution's logrus output is bridged to the
// Registry's slog logger: a routine client error is debug, never warn or
// error, and no credential reaches the log.
func TestRegistry_Logs(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g := newFakeGuard(RepositoryInfo{Name: "web"})
	reg, err := Open(Config{RootDir: t.TempDir(), Logger: log}, Deps{Guard: g})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	t.Cleanup(func() { srv.Close(); _ = reg.Close() })
	tr := &testRegistry{t: t, reg: reg, guard: g, srv: srv}

	if resp := tr.pushHTTP("web", "v1", newTestImage(t, false, 10)); resp.status != http.StatusCreated {
		t.Fatalf("push: %d %s", resp.status, resp.body)
	}
	if resp := tr.do(http.MethodGet, "/v2/web/manifests/missing", nil, nil, true); resp.status != http.StatusNotFound {
		t.Fatalf("GET missing: %d", resp.status)
	}
	tr.do(http.MethodGet, "/v2/", nil, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("AWS:wrong-secret"))}, false)

	out := buf.String()
	if !strings.Contains(out, "component=distribution") || !strings.Contains(out, "MANIFEST_UNKNOWN") {
		t.Errorf("distribution's log of the 404 was not bridged:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("routine traffic logged above debug: %s", line)
		}
	}
	for _, secret := range []string{testPassword, "wrong-secret", base64.StdEncoding.EncodeToString([]byte("AWS:" + testPassword)), "_state="} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
