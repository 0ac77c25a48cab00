// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sdkhttp

import (
	"bytes"
	"io"
	"net/http"
)

// MaxCopy is the largest request body Transport copies.
const MaxCopy = 1 << 20

// Transport wraps next (http.DefaultTransport when nil) so that each
// request body of known length up to MaxCopy is read into a private
// buffer before the round trip.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return ownBody{next: next}
}

// Client returns an *http.Client over Transport(next).
func Client(next http.RoundTripper) *http.Client {
	return &http.Client{Transport: Transport(next)}
}

type ownBody struct{ next http.RoundTripper }

func (o ownBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > MaxCopy {
		return o.next.RoundTrip(r)
	}
	b := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, b)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(b))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return o.next.RoundTrip(c)
}
