// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

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

	"github.com/coder/websocket"

	"github.com/berthdev/berth/internal/acs/wire"
)

// ServiceName is the SigV4 service name of the websockets, as of the API.
const ServiceName = "ecs"

// ErrInactiveInstance means the control plane refused the instance as
// deregistered (InactiveInstanceException). The ECS agent waits an hour
// before trying again.
var ErrInactiveInstance = errors.New("acs: the container instance is inactive")

// HandshakeError is a websocket upgrade the control plane refused with an
// exception, e.g. AccessDeniedException or InactiveInstanceException.
type HandshakeError struct {
	Status  int
	Type    string
	Message string
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("acs: websocket refused (%d %s): %s", e.Status, e.Type, e.Message)
}

// Is makes errors.Is(err, ErrInactiveInstance) true for an
// InactiveInstanceException.
func (e *HandshakeError) Is(target error) bool {
	return target == ErrInactiveInstance && e.Type == wire.TypeInactiveInstanceException
}

// emptySHA256 is the payload hash of the signed upgrade GET.
var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// signedHeader signs a GET of u (service ecs, the payload hash of body,
// host;x-amz-date plus x-amz-security-token with session credentials) and
// returns the headers that carry the signature.
func (c *Client) signedHeader(ctx context.Context, u *url.URL, body []byte) (http.Header, error) {
	if c.aws.Credentials == nil {
		return nil, errors.New("acs: no credentials to sign the websocket upgrade with")
	}
	creds, err := c.aws.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("acs: credentials: %w", err)
	}
	signURL := *u
	switch signURL.Scheme {
	case "ws":
		signURL.Scheme = "http"
	case "wss":
		signURL.Scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, signURL.String(), nil)
	if err != nil {
		return nil, err
	}
	hash := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	if err := c.signer.SignHTTP(ctx, creds, req, hash, ServiceName, c.aws.Region, c.cfg.Now()); err != nil {
		return nil, fmt.Errorf("acs: sign: %w", err)
	}
	h := http.Header{}
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := req.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return h, nil
}

// wsURL returns endpoint + "/ws" with query q; endpoint must be http(s)
// or ws(s).
func wsURL(endpoint string, q url.Values) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("acs: endpoint %q: %w", endpoint, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("acs: endpoint %q: scheme must be http or https", endpoint)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += "ws"
	u.RawPath = ""
	u.RawQuery = q.Encode()
	return u, nil
}

// dial opens a signed websocket. A refused upgrade whose body names an
// exception is a *HandshakeError.
func (c *Client) dial(ctx context.Context, u *url.URL, readLimit int64) (*websocket.Conn, error) {
	hdr, err := c.signedHeader(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: c.cfg.HTTPClient, HTTPHeader: hdr})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, handshakeError(resp)
		}
		return nil, fmt.Errorf("acs: dial %s: %w", u.Host, err)
	}
	conn.SetReadLimit(readLimit)
	return conn, nil
}

// handshakeError decodes a refused upgrade: the ACS envelope or compact
// form, or the awsJson error shape the API returns (a bad signature).
func handshakeError(resp *http.Response) error {
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	}
	if typ, raw, err := wire.Decode(body); err == nil {
		var es wire.ErrorShape
		_ = wire.Unmarshal(raw, &es)
		return &HandshakeError{Status: resp.StatusCode, Type: typ, Message: es.Message}
	}
	var aj struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Upper   string `json:"Message"`
	}
	_ = json.Unmarshal(body, &aj)
	e := &HandshakeError{Status: resp.StatusCode, Type: aj.Type, Message: aj.Message}
	if e.Message == "" {
		e.Message = aj.Upper
	}
	if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
		e.Type = e.Type[i+1:]
	}
	if e.Type == "" {
		e.Type = resp.Header.Get("X-Amzn-ErrorType")
	}
	if e.Type == "" && e.Message == "" {
		e.Message = string(bytes.TrimSpace(body))
	}
	return e
}
