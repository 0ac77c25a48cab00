// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berthdev/berth/internal/acs/wire"
)

// withClientToken adds "clientToken" to a RegisterContainerInstance body.
// The ECS agent sends this agent-only member (a random UUID per attempt)
// so a retried registration is idempotent; aws-sdk-go-v2's public model
// lacks it, so it is spliced into the serialized JSON before the request
// is signed.
func withClientToken(token string) func(*ecs.Options) {
	return func(o *ecs.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("berthClientToken",
				func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
					req, ok := in.Request.(*smithyhttp.Request)
					if !ok {
						return next.HandleBuild(ctx, in)
					}
					req, err := addMember(req, "clientToken", token)
					if err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, err
					}
					in.Request = req
					return next.HandleBuild(ctx, in)
				}), middleware.Before)
		})
	}
}

// addMember returns req with a string member set in its JSON body.
func addMember(req *smithyhttp.Request, name, value string) (*smithyhttp.Request, error) {
	body := []byte("{}")
	if s := req.GetStream(); s != nil {
		b, err := io.ReadAll(s)
		if err != nil {
			return nil, fmt.Errorf("acs: read request body: %w", err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			body = b
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("acs: request body is not a JSON object: %w", err)
	}
	v, _ := json.Marshal(value)
	m[name] = v
	out, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return req.SetStream(bytes.NewReader(out))
}

func newClientToken() string { return wire.NewMessageID() }
