// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// endpoint is the base URL of in-process API calls. The host is never
// dialled: inProcess hands the request to the gateway handler.
const endpoint = "http://console.berth.internal"

// clients are the AWS API clients of one signed-in request, signed with the
// session's credentials.
type clients struct {
	iam  *iam.Client
	ecs  *ecs.Client
	logs *cloudwatchlogs.Client
}

// clientsFor returns API clients acting as s, for the request r (whose
// source address the gateway sees, for aws:SourceIp).
func (c *Console) clientsFor(r *http.Request, s *Session) *clients {
	cfg := aws.Config{
		Region:       c.cfg.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(s.Creds.AccessKeyID, s.Creds.SecretAccessKey, s.Creds.SessionToken),
		HTTPClient:   &http.Client{Transport: sourceTransport{next: c.api, addr: r.RemoteAddr}},
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	return &clients{iam: iam.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// sourceTransport stamps the browser's address on API requests.
type sourceTransport struct {
	next http.RoundTripper
	addr string
}

func (t sourceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.WithContext(context.WithValue(r.Context(), remoteAddrKey{}, t.addr))
	return t.next.RoundTrip(r2)
}

type remoteAddrKey struct{}

// inProcess is an http.RoundTripper that serves requests with a handler
// in this process: the console's calls go through the whole gateway chain
// (SigV4, authorization, the service) without a network hop.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	if a, ok := req.Context().Value(remoteAddrKey{}).(string); ok {
		if _, _, err := net.SplitHostPort(a); err == nil {
			in.RemoteAddr = a
		}
	}
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, in)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		Status: http.StatusText(rec.status), StatusCode: rec.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder buffers a handler's response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// apiError is an AWS error as the console shows it.
type apiError struct {
	Code    string
	Message string
}

// Denied reports an authorization refusal.
func (e *apiError) Denied() bool {
	return e.Code == "AccessDenied" || e.Code == "AccessDeniedException" || e.Code == "UnauthorizedOperation"
}

// Unavailable reports an operation the server does not serve yet.
func (e *apiError) Unavailable() bool { return e.Code == "NotImplemented" }

// asAPIError extracts the code and message of an AWS API error; other
// errors become a generic failure (their detail is logged, not shown).
func asAPIError(err error) *apiError {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &apiError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	return &apiError{Code: "InternalError", Message: "The request failed on the server; see its log."}
}

// isCode reports whether err is an AWS error with code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// statusOf is the HTTP status the console answers a failed call with.
func statusOf(err error) int {
	e := asAPIError(err)
	switch {
	case e.Denied():
		return http.StatusForbidden
	case e.Unavailable():
		return http.StatusNotImplemented
	case e.Code == "InternalError":
		return http.StatusInternalServerError
	case e.Code == "NoSuchEntity" || e.Code == "NotFound" || e.Code == "ClusterNotFoundException" || e.Code == "ServiceNotFoundException":
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}
