// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// maxAnswer bounds the answer to a state change that is read.
const maxAnswer = 1 << 20

// roundTripTimeout bounds one request whose context has no deadline.
const roundTripTimeout = 2 * time.Minute

// connPool is a set of HTTP/1.1 keep-alive connections to one plain-HTTP
// endpoint, each used by one request at a time: the request is written
// and its answer read by the calling goroutine, where net/http's
// transport hands each request to a connection's read and write
// goroutines. For a fleet submitting thousands of small state changes a
// second, those hand-offs cost more than the requests.
type connPool struct {
	addr   string
	idle   chan *poolConn
	dialer net.Dialer
}

type poolConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func newConnPool(addr string, size int) *connPool {
	return &connPool{addr: addr, idle: make(chan *poolConn, max(size, 1)), dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
}

// roundTrip sends req (whose body must be replayable: GetBody set, as
// http.NewRequest sets it for a bytes.Reader) and returns the answer with
// its body read. A request that fails on a reused connection, which the
// server may have closed meanwhile, is sent once more on a new one.
func (p *connPool) roundTrip(req *http.Request) (*http.Response, []byte, error) {
	pc, reused, err := p.get(req.Context())
	if err != nil {
		return nil, nil, err
	}
	resp, body, err := p.try(pc, req)
	if err != nil && reused && req.Context().Err() == nil && req.GetBody != nil {
		if req.Body, err = req.GetBody(); err != nil {
			return nil, nil, err
		}
		if pc, err = p.dial(req.Context()); err != nil {
			return nil, nil, err
		}
		resp, body, err = p.try(pc, req)
	}
	return resp, body, err
}

func (p *connPool) get(ctx context.Context) (*poolConn, bool, error) {
	select {
	case pc := <-p.idle:
		return pc, true, nil
	default:
	}
	pc, err := p.dial(ctx)
	return pc, false, err
}

func (p *connPool) dial(ctx context.Context) (*poolConn, error) {
	c, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	return &poolConn{c: c, br: bufio.NewReader(c), bw: bufio.NewWriter(c)}, nil
}

// try sends req on pc and reads the answer; pc goes back to the pool if
// it can carry another request, else it is closed.
func (p *connPool) try(pc *poolConn, req *http.Request) (*http.Response, []byte, error) {
	ctx := req.Context()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(roundTripTimeout)
	}
	_ = pc.c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = pc.c.SetDeadline(time.Now()) })
	resp, body, err := exchange(pc, req)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil || resp.Close {
		_ = pc.c.Close()
		if err != nil && ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return resp, body, err
	}
	select {
	case p.idle <- pc:
	default:
		_ = pc.c.Close()
	}
	return resp, body, nil
}

func exchange(pc *poolConn, req *http.Request) (*http.Response, []byte, error) {
	if err := req.Write(pc.bw); err != nil {
		return nil, nil, err
	}
	if err := pc.bw.Flush(); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(pc.br, req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err == nil {
		// An answer longer than the limit leaves bytes on the connection.
		var one [1]byte
		if n, _ := resp.Body.Read(one[:]); n > 0 {
			resp.Close = true
		}
	}
	_ = resp.Body.Close()
	return resp, body, err
}
