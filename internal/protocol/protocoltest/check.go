// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/protocol"
	"github.com/berthdev/berth/internal/protocol/shape"
)

// CmpOpts compare decoded contract structs: the blank `_` field is
// unexported and empty, so it is let through.
var CmpOpts = []cmp.Option{cmp.Exporter(func(reflect.Type) bool { return true })}

// CheckInput runs an input vector in reverse: the request a client
// serialized goes through ResolveOperation and DecodeInput, and the
// decoded struct must equal the vector's params.
func CheckInput(t *testing.T, v *Vector) {
	s := v.Case.Serialized
	method := first(s.Method, v.Op.HTTPMethod)
	r := httptest.NewRequest(method, first(s.URI, "/"), strings.NewReader(s.Body))
	for k, val := range s.Headers {
		r.Header.Set(k, val)
	}
	if s.Host != "" {
		r.Host = s.Host
	}
	if v.Service.Protocol == awsapi.ProtocolQuery && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	codec := protocol.For(v.Service)
	// awsJson vectors without X-Amz-Target test payloads only.
	if v.Service.Protocol != awsapi.ProtocolJSON || r.Header.Get("X-Amz-Target") != "" {
		op, err := codec.(protocol.Resolver).ResolveOperation(r)
		if err != nil || op != v.Op {
			t.Fatalf("ResolveOperation = %v, %v; want %s", op, err, v.Op.Name)
		}
	}
	in := v.Op.NewInput()
	if err := codec.DecodeInput(r, v.Op, in); err != nil {
		t.Fatalf("DecodeInput: %v", err)
	}
	want := v.Params(t)
	if diff := cmp.Diff(want, in, CmpOpts...); diff != "" {
		t.Errorf("decoded input mismatch (-params +decoded):\n%s\nrequest body: %s", diff, s.Body)
	}
}

var requestIDRE = regexp.MustCompile(`<RequestId>([^<]*)</RequestId>`)

// CheckOutput runs an output vector in reverse: the vector's result goes
// through EncodeOutput and the response must carry the vector's status,
// headers and (semantically) body.
func CheckOutput(t *testing.T, v *Vector) {
	resp := v.Case.Response
	reqID := "request-id"
	if m := requestIDRE.FindStringSubmatch(resp.Body); m != nil {
		reqID = m[1]
	}
	if root, err := ParseXML([]byte(resp.Body)); err == nil {
		v.Service.XMLNamespace = root.Name.Space // the metadata omits it
	}
	codec := protocol.For(v.Service)
	rec := httptest.NewRecorder()
	if err := codec.EncodeOutput(rec, v.Op, v.Params(t), reqID); err != nil {
		t.Fatalf("EncodeOutput: %v", err)
	}
	if resp.StatusCode != 0 && rec.Code != resp.StatusCode {
		t.Errorf("status = %d, want %d", rec.Code, resp.StatusCode)
	}
	for k, want := range resp.Headers {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	got := rec.Body.Bytes()
	switch {
	case v.Service.Protocol == awsapi.ProtocolJSON:
		checkJSON(t, got, []byte(resp.Body))
	case rawPayload(v.Out):
		if string(got) != resp.Body {
			t.Errorf("body = %q, want %q", got, resp.Body)
		}
	default:
		checkXML(t, v, got, []byte(resp.Body), reqID)
	}
}

func checkJSON(t *testing.T, got, want []byte) {
	if len(bytes.TrimSpace(want)) == 0 {
		want = []byte("{}")
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("vector body is not JSON: %v", err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s\ngot: %s", diff, got)
	}
}

// rawPayload reports whether the output's body is a blob or string payload.
func rawPayload(t reflect.Type) bool {
	p := shape.Of(t).Payload
	return p != nil && p.Type.Kind != shape.Structure
}

// checkXML compares XML bodies canonically. Response metadata is not part
// of a result: RequestId and ResponseMetadata children of the root are
// dropped from both sides (the vectors place them EC2-style or not at
// all) and awsQuery's placement is checked on its own. A root element the
// vector's shapes do not name is client-irrelevant and not compared.
func checkXML(t *testing.T, v *Vector, got, want []byte, reqID string) {
	if len(bytes.TrimSpace(want)) == 0 {
		if len(bytes.TrimSpace(got)) != 0 {
			t.Errorf("body = %q, want none", got)
		}
		return
	}
	g, err := ParseXML(got)
	if err != nil {
		t.Fatalf("output is not XML: %v\n%s", err, got)
	}
	w, err := ParseXML(want)
	if err != nil {
		t.Fatalf("vector body is not XML: %v", err)
	}
	w.Remove("RequestId")
	w.Remove("ResponseMetadata")
	g.Remove("RequestId")
	g.Remove("requestId") // the ec2 protocol's placement
	md := g.Remove("ResponseMetadata")
	body, typ := g, v.Out
	wbody := w
	if v.Service.Protocol == awsapi.ProtocolQuery {
		if md == nil || md.Child("RequestId") == nil || md.Child("RequestId").Text != reqID {
			t.Errorf("awsQuery response lacks <ResponseMetadata><RequestId>%s</RequestId>:\n%s", reqID, got)
		}
		if rw := v.Op.ResultWrapper; rw != "" {
			body, wbody = g.Child(rw), w.Child(rw)
		}
	} else if p := shape.Of(typ).Payload; p != nil {
		typ = p.Type.Go
		if !explicitName(v, p.Field) {
			w.Name.Local = g.Name.Local
		}
	} else if shape.Of(typ).Name == "" {
		w.Name.Local = g.Name.Local
	}
	if body != nil && wbody != nil {
		SortMaps(body, typ)
		SortMaps(wbody, typ)
	}
	if diff := cmp.Diff(w.String(), g.String()); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s\ngot: %s", diff, got)
	}
}

// explicitName reports whether the vector's shapes name the payload's
// element (rather than it defaulting to the member name).
func explicitName(v *Vector, field string) bool {
	out := v.Suite.Shapes[v.Case.Given.Output.Shape]
	for name, ref := range out.Members {
		if GoName(name) == field {
			return ref.LocationName != "" || v.Suite.Shapes[ref.Shape].LocationName != ""
		}
	}
	return false
}
