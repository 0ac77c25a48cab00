// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/acs/wire"
	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/reqctx"
)

// IAM actions that authorize the websockets.
const (
	ActionPoll                  = "ecs:Poll"
	ActionStartTelemetrySession = "ecs:StartTelemetrySession"
)

// handshakeError is a refused upgrade: a non-101 response whose body is
// the exception in the ACS envelope, which the ECS agent decodes
// ({"type":"InactiveInstanceException","message":{"message":"…"}}), with
// the type also in X-Amzn-ErrorType as awsJson clients expect.
type handshakeError struct {
	Type    string
	Message string
	Status  int
}

func (e *handshakeError) Error() string { return e.Type + ": " + e.Message }

func badRequest(format string, args ...any) *handshakeError {
	return &handshakeError{Type: wire.TypeBadRequestException, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func writeHandshakeError(w http.ResponseWriter, e *handshakeError) {
	body, _ := wire.Marshal(e.Type, wire.ErrorShape{Message: e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-ErrorType", e.Type)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// handshake is what an upgrade request asks for.
type handshake struct {
	cluster         string // as the agent names it: a name or an ARN
	clusterARN      string
	instanceARN     string
	sendCredentials bool
	seqNum          int64
	agentVersion    string
	// endpoint is this control plane's URL as the agent reached it.
	endpoint string
}

// parseHandshake reads the query of an ACS upgrade (clusterArn,
// containerInstanceArn) or a TCS upgrade (cluster, containerInstance).
func parseHandshake(r *http.Request, clusterKey, instanceKey string) (*handshake, *handshakeError) {
	if r.Method != http.MethodGet {
		return nil, badRequest("the websocket upgrade must be a GET")
	}
	q := r.URL.Query()
	hs := &handshake{
		cluster:      q.Get(clusterKey),
		instanceARN:  q.Get(instanceKey),
		agentVersion: q.Get("agentVersion"),
	}
	if hs.cluster == "" || hs.instanceARN == "" {
		return nil, badRequest("%s and %s are required", clusterKey, instanceKey)
	}
	ia, err := arn.Parse(hs.instanceARN)
	if err != nil || ia.Service != "ecs" || !strings.HasPrefix(ia.Resource, "container-instance/") {
		return nil, &handshakeError{Type: wire.TypeInvalidInstanceException, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("%s is not a container instance ARN", hs.instanceARN)}
	}
	hs.clusterARN = clusterARNFor(hs.cluster, ia)
	if hs.clusterARN == "" {
		return nil, &handshakeError{Type: wire.TypeInvalidClusterException, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("%s is not a cluster name or ARN", hs.cluster)}
	}
	if v := q.Get("sendCredentials"); v != "" {
		hs.sendCredentials, _ = strconv.ParseBool(v)
	}
	if v := q.Get("seqNum"); v != "" {
		hs.seqNum, _ = strconv.ParseInt(v, 10, 64)
	}
	info := reqctx.From(r.Context())
	scheme := "http"
	if r.TLS != nil || info.Secure {
		scheme = "https"
	}
	hs.endpoint = scheme + "://" + r.Host
	return hs, nil
}

// clusterARNFor returns the ARN of cluster, a name or an ARN, in the
// partition, region and account of the container instance; "" when
// cluster is malformed.
func clusterARNFor(cluster string, instance arn.ARN) string {
	if strings.HasPrefix(cluster, "arn:") {
		a, err := arn.Parse(cluster)
		if err != nil || a.Service != "ecs" || !strings.HasPrefix(a.Resource, "cluster/") {
			return ""
		}
		return cluster
	}
	if strings.ContainsAny(cluster, "/:") {
		return ""
	}
	return arn.ARN{Partition: instance.Partition, Service: "ecs", Region: instance.Region,
		AccountID: instance.AccountID, Resource: "cluster/" + cluster}.String()
}

// authorize asks whether the caller may perform action on the container
// instance in the cluster (condition key ecs:cluster).
func (s *Server) authorize(ctx context.Context, action string, hs *handshake) *handshakeError {
	p := principal.FromContext(ctx)
	d, err := s.deps.Authz.Authorize(ctx, authz.Request{
		Principal: p,
		Action:    action,
		Resources: []string{hs.instanceARN},
		Context:   map[string][]string{"ecs:cluster": {hs.clusterARN}},
	})
	if err != nil {
		s.log.Error("websocket authorization failed", logkey.Instance, hs.instanceARN, logkey.Err, err)
		return &handshakeError{Type: wire.TypeServerException, Message: "We encountered an internal error. Please try again.", Status: http.StatusInternalServerError}
	}
	if !d.Allowed {
		who := ""
		if p != nil {
			who = p.ARN
		}
		s.log.Info("websocket refused", logkey.Operation, action, logkey.Principal, who, logkey.Instance, hs.instanceARN)
		msg := d.Message
		if msg == "" {
			msg = authz.DenyMessage(p, action, hs.instanceARN, "")
		}
		return &handshakeError{Type: wire.TypeAccessDeniedException, Message: msg, Status: http.StatusBadRequest}
	}
	return nil
}

// decodeFrame splits a frame into its type and body. TCS frames may start
// with an HTTP header block (the agent signs every frame), which ends at
// the first blank line.
func decodeFrame(data []byte) (string, json.RawMessage, error) {
	if len(data) > 0 && data[0] != '{' {
		for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
			if i := bytes.Index(data, sep); i >= 0 {
				data = data[i+len(sep):]
				break
			}
		}
	}
	return wire.Decode(data)
}
