// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
	"github.com/berthdev/berth/internal/protocol/restxml"
)

type config struct {
	_     struct{} `type:"structure"`
	Mode  *string  `locationName:"Mode" type:"string"`
	Limit *int32   `locationName:"Limit" type:"integer"`
	Rules []string `locationName:"Rule" type:"list" flattened:"true"`
}

type putConfigInput struct {
	_       struct{}            `type:"structure" payload:"Config"`
	Bucket  *string             `location:"uri" locationName:"Bucket" type:"string" required:"true"`
	Config  *config             `locationName:"Configuration" type:"structure" xmlURI:"urn:cfg"`
	Tags    []string            `location:"header" locationName:"x-tags" type:"list"`
	Since   *time.Time          `location:"header" locationName:"x-since" type:"timestamp"`
	Epoch   *time.Time          `location:"querystring" locationName:"epoch" type:"timestamp" timestampFormat:"unixTimestamp"`
	Extra   map[string][]string `location:"querystring" type:"map"`
	Verbose *bool               `location:"querystring" locationName:"verbose" type:"boolean"`
}

type putConfigOutput struct {
	_      struct{} `type:"structure" payload:"Config"`
	Status *int32   `location:"statusCode" type:"integer"`
	Config *config  `locationName:"Configuration" type:"structure" xmlURI:"urn:cfg"`
}

type blobIO struct {
	_    struct{} `type:"structure" payload:"Data"`
	Data []byte   `locationName:"Data" type:"blob"`
}

type streamOut struct {
	_    struct{}  `type:"structure" payload:"Body"`
	Body io.Reader `locationName:"Body" type:"blob" streaming:"true"`
	Len  *int64    `location:"header" locationName:"Content-Length" type:"long"`
}

var (
	putConfigOp = &awsapi.Operation{Name: "PutConfig", HTTPMethod: "PUT", RequestURI: "/{Bucket}?config",
		NewInput: func() any { return new(putConfigInput) }, NewOutput: func() any { return new(putConfigOutput) }}
	blobOp = &awsapi.Operation{Name: "Blob", HTTPMethod: "POST", RequestURI: "/{Bucket}?blob",
		NewInput: func() any { return new(blobIO) }, NewOutput: func() any { return new(blobIO) }}
	streamOp = &awsapi.Operation{Name: "Stream", HTTPMethod: "GET", RequestURI: "/{Bucket}/{Key+}",
		NewInput: func() any { return new(putConfigInput) }, NewOutput: func() any { return new(streamOut) }}
)

func testCodec() *restxml.Codec {
	return restxml.New(&awsapi.Service{Protocol: awsapi.ProtocolRestXML, XMLNamespace: "urn:svc",
		Operations: map[string]*awsapi.Operation{"PutConfig": putConfigOp, "Blob": blobOp, "Stream": streamOp}})
}

func TestCodec_DecodeInput_Bindings(t *testing.T) {
	r := httptest.NewRequest("PUT", "/my-bucket?config&epoch=1398796238&verbose=true&a=1&a=2&b=", strings.NewReader(
		`<?xml version="1.0"?><Configuration xmlns="urn:cfg"><Mode>on</Mode><Rule>r1</Rule><Unknown><x/></Unknown><Rule>r2</Rule></Configuration>`))
	r.Header.Add("X-Tags", "a, b")
	r.Header.Add("X-Tags", "c")
	r.Header.Set("X-Since", "Tue, 29 Apr 2014 18:30:38 GMT")
	got := new(putConfigInput)
	if err := testCodec().DecodeInput(r, putConfigOp, got); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2014, 4, 29, 18, 30, 38, 0, time.UTC)
	want := &putConfigInput{
		Bucket: ptr("my-bucket"), Config: &config{Mode: ptr("on"), Rules: []string{"r1", "r2"}},
		Tags: []string{"a", "b", "c"}, Since: &ts, Epoch: &ts, Verbose: ptr(true),
		Extra: map[string][]string{"a": {"1", "2"}, "b": {""}},
	}
	if diff := cmp.Diff(want, got, protocoltest.CmpOpts...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCodec_DecodeInput_Errors(t *testing.T) {
	tests := []struct {
		name, target, body string
		header             [2]string
		code, arg          string
	}{
		{"malformed XML", "/b?config", "<Configuration><Mode>x</Configuration>", [2]string{}, "MalformedXML", ""},
		{"two roots", "/b?config", "<Configuration/><Configuration/>", [2]string{}, "MalformedXML", ""},
		{"element in a value", "/b?config", "<C><Mode><b/></Mode></C>", [2]string{}, "MalformedXML", ""},
		{"bad XML value", "/b?config", "<C><Limit>ten</Limit></C>", [2]string{}, "MalformedXML", ""},
		{"bad header", "/b?config", "", [2]string{"X-Since", "soon"}, "InvalidArgument", "x-since"},
		{"bad query", "/b?config&verbose=maybe", "", [2]string{}, "InvalidArgument", "verbose"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", tc.target, strings.NewReader(tc.body))
			if tc.header[0] != "" {
				r.Header.Set(tc.header[0], tc.header[1])
			}
			err := testCodec().DecodeInput(r, putConfigOp, new(putConfigInput))
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.HTTPStatus != http.StatusBadRequest {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
			if ae.Fields["ArgumentName"] != tc.arg {
				t.Errorf("ArgumentName = %q, want %q", ae.Fields["ArgumentName"], tc.arg)
			}
		})
	}
}

func TestCodec_BlobPayload(t *testing.T) {
	r := httptest.NewRequest("POST", "/b?blob", strings.NewReader("\x00raw"))
	in := new(blobIO)
	if err := testCodec().DecodeInput(r, blobOp, in); err != nil || string(in.Data) != "\x00raw" {
		t.Fatalf("decode: %q, %v", in.Data, err)
	}
	rec := httptest.NewRecorder()
	if err := testCodec().EncodeOutput(rec, blobOp, in, "id"); err != nil || rec.Body.String() != "\x00raw" {
		t.Errorf("encode: %q, %v", rec.Body.String(), err)
	}
}

func TestCodec_StreamingInput(t *testing.T) {
	type putIn struct {
		_    struct{}  `type:"structure" payload:"Body"`
		Body io.Reader `locationName:"Body" type:"blob" streaming:"true"`
	}
	op := &awsapi.Operation{Name: "Put", HTTPMethod: "PUT", RequestURI: "/{Bucket}/{Key+}"}
	r := httptest.NewRequest("PUT", "/b/k", strings.NewReader("payload"))
	in := new(putIn)
	if err := testCodec().DecodeInput(r, op, in); err != nil {
		t.Fatal(err)
	}
	if in.Body != r.Body {
		t.Error("the streaming member must be the request body itself, unread")
	}
}

type closeCounter struct {
	*bytes.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestCodec_EncodeOutput_Stream(t *testing.T) {
	body := &closeCounter{Reader: bytes.NewReader([]byte("0123456789"))}
	rec := httptest.NewRecorder()
	if err := testCodec().EncodeOutput(rec, streamOp, &streamOut{Body: body}, "id"); err != nil {
		t.Fatal(err)
	}
	if rec.Body.String() != "0123456789" || rec.Header().Get("Content-Length") != "10" ||
		rec.Header().Get("Content-Type") != "application/octet-stream" || body.closed != 1 {
		t.Errorf("body %q, headers %v, closed %d", rec.Body.String(), rec.Header(), body.closed)
	}
	// An explicit length wins, and the reader is closed even without a copy.
	body = &closeCounter{Reader: bytes.NewReader(nil)}
	rec = httptest.NewRecorder()
	out := &streamOut{Body: body, Len: ptr(int64(42))}
	if err := testCodec().EncodeOutput(rec, streamOp, out, "id"); err != nil || rec.Header().Get("Content-Length") != "42" || body.closed != 1 {
		t.Errorf("Content-Length %q, closed %d, %v", rec.Header().Get("Content-Length"), body.closed, err)
	}
}

func TestCodec_EncodeOutput_StructurePayload(t *testing.T) {
	rec := httptest.NewRecorder()
	out := &putConfigOutput{Status: ptr(int32(201)), Config: &config{Mode: ptr("a&b"), Rules: []string{"x", "y"}}}
	if err := testCodec().EncodeOutput(rec, putConfigOp, out, "id"); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Configuration xmlns="urn:cfg"><Mode>a&amp;b</Mode><Rule>x</Rule><Rule>y</Rule></Configuration>`
	if rec.Code != 201 || rec.Body.String() != want || rec.Header().Get("Content-Type") != "application/xml" {
		t.Errorf("%d %q\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	if err := testCodec().EncodeOutput(rec, putConfigOp, &putConfigOutput{}, "id"); err != nil || rec.Body.Len() != 0 {
		t.Errorf("nil payload must have no body: %q %v", rec.Body.String(), err)
	}
}

type deleteOut struct {
	_         struct{} `type:"structure"`
	VersionID *string  `location:"header" locationName:"x-amz-version-id" type:"string"`
}

// TestCodec_EncodeOutput_ResponseCode checks that a success without a
// body carries the operation's modelled status (S3's deletes: 204), that
// a statusCode member still wins, and that a body never goes with a 204.
func TestCodec_EncodeOutput_ResponseCode(t *testing.T) {
	del := &awsapi.Operation{Name: "Delete", HTTPMethod: "DELETE", RequestURI: "/{Bucket}/{Key+}", ResponseCode: 204,
		NewInput: func() any { return new(putConfigInput) }, NewOutput: func() any { return new(deleteOut) }}
	delConfig := &awsapi.Operation{Name: "DeleteConfig", HTTPMethod: "DELETE", RequestURI: "/{Bucket}?config", ResponseCode: 204,
		NewInput: func() any { return new(putConfigInput) }, NewOutput: func() any { return new(putConfigOutput) }}
	c := testCodec()
	tests := []struct {
		name       string
		op         *awsapi.Operation
		out        any
		wantStatus int
		wantBody   bool
		wantHeader string
	}{
		{"headers only", del, &deleteOut{VersionID: ptr("v1")}, 204, false, "v1"},
		{"empty output", del, &deleteOut{}, 204, false, ""},
		{"nil output", del, nil, 204, false, ""},
		{"no modelled code", putConfigOp, &putConfigOutput{}, 200, false, ""},
		{"statusCode member wins", delConfig, &putConfigOutput{Status: ptr(int32(202))}, 202, false, ""},
		{"a body makes it 200", delConfig, &putConfigOutput{Config: &config{Mode: ptr("m")}}, 200, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := c.EncodeOutput(rec, tc.op, tc.out, "id"); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.wantStatus || (rec.Body.Len() > 0) != tc.wantBody ||
				rec.Header().Get("x-amz-version-id") != tc.wantHeader || rec.Header().Get("X-Amz-Request-Id") != "id" {
				t.Errorf("status %d, headers %v, body %q; want %d, body %v, version %q",
					rec.Code, rec.Header(), rec.Body.String(), tc.wantStatus, tc.wantBody, tc.wantHeader)
			}
		})
	}
}

// TestCodec_EncodeError_Head checks over a real connection that a HEAD
// error carries the status and headers only, as S3 answers.
func TestCodec_EncodeError_Head(t *testing.T) {
	c := testCodec()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.EncodeError(w, awserr.New("NoSuchKey", http.StatusNotFound, "The specified key does not exist."), "rid")
	}))
	defer srv.Close()
	for _, method := range []string{"HEAD", "GET"} {
		req, _ := http.NewRequest(method, srv.URL+"/b/k", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("X-Amz-Request-Id") != "rid" {
			t.Errorf("%s: %d %v", method, resp.StatusCode, resp.Header)
		}
		if hasBody := len(body) > 0; hasBody != (method == "GET") {
			t.Errorf("%s: body %q", method, body)
		}
	}
}

func ptr[T any](v T) *T { return &v }
