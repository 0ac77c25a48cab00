// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package reqctx carries the facts about an API request that services need
// beyond its input: the request id, the region it was signed for, the
// caller's address and the request time.
package reqctx

import (
	"context"
	"time"
)

// Info describes the request being served.
type Info struct {
	RequestID string
	// Region is the region of the SigV4 credential scope, or the server's
	// region when the request names none.
	Region   string
	SourceIP string
	// Secure reports whether the request arrived over TLS.
	Secure bool
	// Host is the Host the client addressed (host:port), for services that
	// hand out URLs of this server (ECS DiscoverPollEndpoint, ECR proxy
	// endpoints).
	Host string
	// Time is when the gateway received the request.
	Time time.Time
	// Service and Operation name what is being invoked.
	Service   string
	Operation string
}

type ctxKey struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the request's Info; a zero Info when there is none (calls
// made from inside the control plane).
func From(ctx context.Context) *Info {
	if i, ok := ctx.Value(ctxKey{}).(*Info); ok {
		return i
	}
	return &Info{}
}
