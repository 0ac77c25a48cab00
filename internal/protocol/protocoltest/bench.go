// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bytes"
	"io"
	"net/http"
)

// DiscardWriter is a reusable http.ResponseWriter for benchmarks: it keeps
// the headers, counts the body and throws it away.
type DiscardWriter struct {
	H      http.Header
	Status int
	N      int
}

// Header implements http.ResponseWriter.
func (w *DiscardWriter) Header() http.Header { return w.H }

// WriteHeader implements http.ResponseWriter.
func (w *DiscardWriter) WriteHeader(status int) { w.Status = status }

// Write implements http.ResponseWriter.
func (w *DiscardWriter) Write(b []byte) (int, error) { w.N += len(b); return len(b), nil }

// Reset clears the writer for the next iteration, keeping its header map.
func (w *DiscardWriter) Reset() {
	clear(w.H)
	w.Status, w.N = 0, 0
}

// Rewind re-arms r (from Request) to be decoded again with body.
func Rewind(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Form, r.PostForm = nil, nil
}
