// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs"
	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/testutil/poll"
)

const (
	region      = "us-east-1"
	account     = "123456789012"
	clusterARN  = "arn:aws:ecs:us-east-1:123456789012:cluster/test"
	instanceARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/test/0f3c2b1a9d8e4f7a6b5c4d3e2f1a0b9c"
	agentKeyID  = acstest.AgentKeyID
	agentSecret = acstest.AgentSecret
)

// stack is an ACS server behind the real gateway on a loopback port, with
// one active container instance.
type stack struct{ *acstest.Plane }

func newStack(t *testing.T, cfg acs.Config, deps acs.Deps) *stack {
	t.Helper()
	p := acstest.NewPlane(t, acstest.Options{Config: cfg, Roles: deps.Roles, Keys: deps.Keys})
	p.Backend.Activate(instanceARN, clusterARN)
	return &stack{p}
}

// acsQuery is the query of an agent's ACS upgrade.
func acsQuery(cluster, inst string, sendCredentials bool) url.Values {
	q := url.Values{}
	q.Set("agentVersion", "1.105.1")
	q.Set("clusterArn", cluster)
	q.Set("containerInstanceArn", inst)
	q.Set("protocolVersion", "2")
	q.Set("sendCredentials", fmt.Sprint(sendCredentials))
	q.Set("seqNum", "1")
	q.Set("dockerVersion", "DockerVersion: 28.5.2")
	return q
}

// dial opens a websocket at path?q signed as the ECS agent signs it.
func (st *stack) dial(ctx context.Context, path string, q url.Values, secret string) (*agentConn, *http.Response, error) {
	u := st.URL + path + "?" + q.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	creds := aws.Credentials{AccessKeyID: agentKeyID, SecretAccessKey: secret}
	const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyHash, "ecs", region, time.Now()); err != nil {
		return nil, nil, err
	}
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: req.Header.Clone()})
	if err != nil {
		return nil, resp, err
	}
	ac := &agentConn{ws: ws, msgs: make(chan frame, 256)}
	go ac.readAll()
	return ac, resp, nil
}

// agentConn is a raw agent connection whose frames a goroutine collects,
// so tests can wait for a message, or for none, without closing it.
type agentConn struct {
	ws   *websocket.Conn
	msgs chan frame
	err  error
}

type frame struct {
	typ  string
	body json.RawMessage
}

func (c *agentConn) readAll() {
	defer close(c.msgs)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		typ, body, err := wire.Decode(data)
		if err != nil {
			continue
		}
		c.msgs <- frame{typ, body}
	}
}

// next returns the next message of one of types, skipping others.
func (c *agentConn) next(t *testing.T, timeout time.Duration, types ...string) frame {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case f, ok := <-c.msgs:
			if !ok {
				t.Fatalf("connection closed waiting for %v: %v", types, c.err)
			}
			for _, typ := range types {
				if f.typ == typ {
					return f
				}
			}
		case <-deadline:
			t.Fatalf("no %v within %v", types, timeout)
		}
	}
}

// none fails if a message of one of types arrives within d.
func (c *agentConn) none(t *testing.T, d time.Duration, types ...string) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-c.msgs:
			if !ok {
				return
			}
			for _, typ := range types {
				if f.typ == typ {
					t.Fatalf("unexpected %s: %s", f.typ, f.body)
				}
			}
		case <-deadline:
			return
		}
	}
}

func (c *agentConn) send(t *testing.T, typ string, msg any) {
	t.Helper()
	b, err := wire.Marshal(typ, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatalf("write %s: %v", typ, err)
	}
}

func decode[T any](t *testing.T, f frame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.body, &v); err != nil {
		t.Fatalf("decode %s: %v", f.typ, err)
	}
	return v
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, timeout, what, cond)
}

// fastConfig shortens every interval for tests.
func fastConfig() acs.Config {
	return acs.Config{
		HeartbeatInterval:        time.Hour,
		ResendInterval:           200 * time.Millisecond,
		InactivityTimeout:        time.Minute,
		ManifestInterval:         -1,
		CredentialsRetryInterval: 100 * time.Millisecond,
	}
}

func webTask(version int64, desired string) agentapi.Task {
	return agentapi.Task{
		TaskARN:       "arn:aws:ecs:us-east-1:123456789012:task/test/0123456789abcdef0123456789abcdef",
		ClusterARN:    clusterARN,
		Version:       version,
		DesiredStatus: desired,
		LastStatus:    "PENDING",
		Definition: &ecsapi.TaskDefinition{
			TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"),
			Family:            aws.String("web"),
			Revision:          aws.Int32(3),
			ContainerDefinitions: []ecsapi.ContainerDefinition{{
				Name: aws.String("web"), Image: aws.String("busybox"), Cpu: aws.Int32(128), Memory: aws.Int32(128),
				PortMappings: []ecsapi.PortMapping{{ContainerPort: aws.Int32(80)}},
			}},
		},
		HostPorts: map[string]int32{"web/80/tcp": 32768},
	}
}
