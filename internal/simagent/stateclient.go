// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/agent/acs"
)

// stateClient sends SubmitTaskStateChange, the one call a fleet makes for
// every task transition, without the SDK's middleware stack: the same
// awsJson1_1 request (SigV4-signed POST of the operation's JSON document
// with X-Amz-Target) the SDK client sends, built and signed directly. At
// fleet scale the stack cost more CPU than the control plane spent
// handling the call, and the simulator shares the machine with it.
//
// Errors carry the service's error code as a smithy.APIError, so
// acs.IsInvalidParameter sees them as it sees the SDK's.
type stateClient struct {
	url     string
	cluster string
	region  string
	http    aws.HTTPClient
	creds   aws.CredentialsProvider
	signer  *v4.Signer
	bufs    sync.Pool
	conns   *connPool // nil: use http
}

const (
	submitTaskStateChangeTarget = "AmazonEC2ContainerServiceV20141113.SubmitTaskStateChange"
	amzJSON11                   = "application/x-amz-json-1.1"
)

func newStateClient(endpoint, cluster string, cfg aws.Config, maxConns int) *stateClient {
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		endpoint = "https://" + endpoint // a bare host, as the agent takes it
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &stateClient{url: strings.TrimSuffix(endpoint, "/") + "/", cluster: cluster, region: cfg.Region,
		http: hc, creds: cfg.Credentials, signer: v4.NewSigner()}
	if u, err := url.Parse(c.url); err == nil && u.Scheme == "http" && u.Host != "" {
		c.conns = newConnPool(u.Host, maxConns)
	}
	return c
}

// The request document, in the ECS model's member names; omitted members
// are left out as the SDK leaves out nil ones.
type submitTaskStateChangeDoc struct {
	Cluster    string         `json:"cluster,omitempty"`
	Containers []containerDoc `json:"containers,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Status     string         `json:"status,omitempty"`
	Task       string         `json:"task"`
}

type containerDoc struct {
	ContainerName   string           `json:"containerName"`
	ExitCode        *int32           `json:"exitCode,omitempty"`
	NetworkBindings []networkBinding `json:"networkBindings,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	RuntimeID       string           `json:"runtimeId,omitempty"`
	Status          string           `json:"status,omitempty"`
}

type networkBinding struct {
	BindIP        string `json:"bindIP"`
	ContainerPort int32  `json:"containerPort"`
	HostPort      int32  `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

// maxReason is the agent's cut of a reason (acs.SubmitTaskStateChange).
const maxReason = 1024

func cut(s string) string {
	if len(s) > maxReason {
		return s[:maxReason]
	}
	return s
}

// document renders a change as acs.Client.SubmitTaskStateChange renders
// it through the SDK (the simulator reports no pull or execution times).
func (c *stateClient) document(ch acs.TaskStateChange) submitTaskStateChangeDoc {
	d := submitTaskStateChangeDoc{Cluster: c.cluster, Task: ch.TaskARN, Status: ch.Status, Reason: cut(ch.Reason)}
	for _, cc := range ch.Containers {
		cd := containerDoc{ContainerName: cc.Name, RuntimeID: cc.RuntimeID, Status: cc.Status, ExitCode: cc.ExitCode, Reason: cut(cc.Reason)}
		for _, nb := range cc.NetworkBindings {
			proto := "tcp"
			if nb.Protocol == "udp" {
				proto = "udp"
			}
			cd.NetworkBindings = append(cd.NetworkBindings, networkBinding{BindIP: nb.BindIP, ContainerPort: nb.ContainerPort,
				HostPort: nb.HostPort, Protocol: proto})
		}
		d.Containers = append(d.Containers, cd)
	}
	return d
}

// SubmitTaskStateChange reports one task transition.
func (c *stateClient) SubmitTaskStateChange(ctx context.Context, ch acs.TaskStateChange) error {
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() { buf.Reset(); c.bufs.Put(buf) }()
	if err := json.NewEncoder(buf).Encode(c.document(ch)); err != nil {
		return fmt.Errorf("simagent: submit task state change: %w", err)
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	sum := sha256.Sum256(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", amzJSON11)
	req.Header.Set("X-Amz-Target", submitTaskStateChangeTarget)
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("simagent: credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), acs.ServiceName, c.region, time.Now()); err != nil {
		return fmt.Errorf("simagent: sign: %w", err)
	}
	resp, out, err := c.do(req)
	if err != nil {
		return fmt.Errorf("simagent: submit task state change: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return fmt.Errorf("simagent: submit task state change: %w", apiError(resp, out))
}

// do sends req and reads the whole answer: over the fleet's own HTTP/1.1
// keep-alive connections for an http:// endpoint, else with the
// configuration's HTTP client.
func (c *stateClient) do(req *http.Request) (*http.Response, []byte, error) {
	if c.conns == nil {
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		return resp, out, err
	}
	return c.conns.roundTrip(req)
}

// apiError decodes an awsJson1_1 error answer: the code is __type (or the
// X-Amzn-ErrorType header) without its namespace and ":..." suffix.
func apiError(resp *http.Response, body []byte) error {
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageC string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = doc.Type
	}
	if code == "" {
		code = doc.Code
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	msg := doc.Message
	if msg == "" {
		msg = doc.MessageC
	}
	if code == "" {
		return errors.New(resp.Status)
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}
