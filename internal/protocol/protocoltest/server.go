// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol"
)

// Handler serves one operation: it gets the decoded input and returns the
// output or an error (mapped with awserr.From, as the gateway does).
type Handler func(ctx context.Context, in any) (any, error)

// Server starts an httptest server on loopback that serves svc the way the
// gateway will: resolve the operation, decode, call the handler, encode.
// Unknown operations answer NotImplemented. The server is closed when the
// test ends.
func Server(t testing.TB, svc *awsapi.Service, handlers map[string]Handler) *httptest.Server {
	t.Helper()
	codec := protocol.For(svc)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := "req-" + strconv.FormatInt(n.Add(1), 10)
		op, err := codec.(protocol.Resolver).ResolveOperation(r)
		if err != nil {
			codec.EncodeError(w, awserr.From(err), id)
			return
		}
		h := handlers[op.Name]
		if h == nil {
			codec.EncodeError(w, awserr.NotImplemented(svc.Name, op.Name), id)
			return
		}
		in := op.NewInput()
		if err := codec.DecodeInput(r, op, in); err != nil {
			codec.EncodeError(w, awserr.From(err), id)
			return
		}
		out, err := h(r.Context(), in)
		if err != nil {
			codec.EncodeError(w, awserr.From(err), id)
			return
		}
		if err := codec.EncodeOutput(w, op, out, id); err != nil {
			t.Errorf("EncodeOutput %s: %v", op.Name, err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
