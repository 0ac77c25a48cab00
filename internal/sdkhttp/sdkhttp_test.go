// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sdkhttp

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// closableBody fails reads once closed, as smithy-go's safe read closer does.
type closableBody struct {
	mu     sync.Mutex
	r      io.Reader
	closed bool
}

func (c *closableBody) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, errors.New("read on closed body")
	}
	return c.r.Read(p)
}

func (c *closableBody) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

type recorder struct{ got *http.Request }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

func TestTransport_BodySurvivesCallerClose(t *testing.T) {
	const payload = `{"cluster":"default"}`
	orig := &closableBody{r: strings.NewReader(payload)}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", orig)
	req.ContentLength = int64(len(payload))
	rec := &recorder{}
	if _, err := Transport(rec).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	orig.Close() // what smithy-go does when the round trip returns
	b, err := io.ReadAll(rec.got.Body)
	if err != nil || string(b) != payload {
		t.Fatalf("transport's body after the caller closed its own = %q, %v; want %q", b, err, payload)
	}
	again, _ := rec.got.GetBody()
	if b, _ := io.ReadAll(again); string(b) != payload {
		t.Fatalf("GetBody = %q", b)
	}
}

func TestTransport_LargeAndUnknownBodiesStream(t *testing.T) {
	for _, n := range []int64{0, MaxCopy + 1} {
		orig := &closableBody{r: strings.NewReader("x")}
		req, _ := http.NewRequest("PUT", "http://127.0.0.1:1/", orig)
		req.ContentLength = n
		rec := &recorder{}
		if _, err := Transport(rec).RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if rec.got.Body != io.ReadCloser(orig) {
			t.Errorf("ContentLength %d: body was replaced; want it streamed as is", n)
		}
	}
}

func TestTransport_ShortBodyFails(t *testing.T) {
	req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", io.NopCloser(strings.NewReader("ab")))
	req.ContentLength = 10
	if _, err := Transport(&recorder{}).RoundTrip(req); err == nil {
		t.Fatal("a body shorter than its ContentLength was accepted")
	}
}
