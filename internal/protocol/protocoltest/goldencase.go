// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol"
	"github.com/berthdev/berth/internal/protocol/shape"
)

// RunGolden runs every dir/*.txtar archive as a subtest. An archive's
// comment holds "key: value" lines: op (required), service (the Name of
// one of svcs, default the first) and request-id. Its files:
//
//	request       a raw HTTP request, decoded with the op
//	input.json    the decoded input (encoding/json of the struct)
//	input.body    the streaming payload the input received, if any
//	decode-error  instead of input.json: the error decoding must return
//	output.json   an output value to encode (encoding/json form)
//	output.body   the streaming payload of that output, if any
//	error.json    instead of output.json: an awserr.Error to encode
//	response      the encoded response (status line, headers, body)
//
// With update set, input.json, input.body, decode-error and response are
// rewritten from what the codec does.
func RunGolden(t *testing.T, dir string, update bool, svcs ...*awsapi.Service) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files in %s: %v", dir, err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			a := ReadArchive(t, path)
			if runGolden(t, a, update, svcs) {
				WriteArchive(t, path, a)
			}
		})
	}
}

func runGolden(t *testing.T, a *Archive, update bool, svcs []*awsapi.Service) bool {
	meta := map[string]string{}
	for line := range strings.SplitSeq(string(a.Comment), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	svc := svcs[0]
	for _, s := range svcs {
		if s.Name == meta["service"] {
			svc = s
		}
	}
	op := svc.Operations[meta["op"]]
	if op == nil {
		t.Fatalf("unknown op %q", meta["op"])
	}
	codec := protocol.For(svc)
	changed := false
	if raw := a.Get("request"); raw != nil {
		changed = goldenDecode(t, a, codec, op, Request(t, raw), update) || changed
	}
	rec := httptest.NewRecorder()
	switch {
	case a.Get("error.json") != nil:
		var e awserr.Error
		if err := json.Unmarshal(a.Get("error.json"), &e); err != nil {
			t.Fatalf("error.json: %v", err)
		}
		codec.EncodeError(rec, &e, meta["request-id"])
	case a.Get("output.json") != nil:
		out := op.NewOutput()
		if err := json.Unmarshal(a.Get("output.json"), out); err != nil {
			t.Fatalf("output.json: %v", err)
		}
		if body := a.Get("output.body"); body != nil {
			setStream(t, out, bytes.NewReader(bytes.TrimSuffix(body, []byte("\n"))))
		}
		if err := codec.EncodeOutput(rec, op, out, meta["request-id"]); err != nil {
			t.Fatalf("EncodeOutput: %v", err)
		}
	default:
		return changed
	}
	return Golden(t, a, "response", Response(rec), update) || changed
}

func goldenDecode(t *testing.T, a *Archive, codec protocol.Codec, op *awsapi.Operation, req *http.Request, update bool) bool {
	if res, ok := codec.(protocol.Resolver); ok {
		got, err := res.ResolveOperation(req)
		if err == nil && got != op {
			t.Errorf("ResolveOperation = %s, want %s", got.Name, op.Name)
		}
	}
	in := op.NewInput()
	if err := codec.DecodeInput(req, op, in); err != nil {
		var ae *awserr.Error
		if !errors.As(err, &ae) {
			t.Fatalf("DecodeInput returned a %T, want *awserr.Error: %v", err, err)
		}
		msg := fmt.Sprintf("%s (%d, sender=%t): %s\n", ae.Code, ae.HTTPStatus, ae.Sender, ae.Message)
		return Golden(t, a, "decode-error", []byte(msg), update)
	}
	changed := false
	if body, ok := takeStream(t, in); ok {
		changed = Golden(t, a, "input.body", body, update)
	}
	return Golden(t, a, "input.json", compactJSON(t, in), update) || changed
}

// compactJSON renders v as indented JSON without its null members, so a
// golden file shows only what was decoded.
func compactJSON(t *testing.T, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(dropNulls(generic)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = dropNulls(e)
		}
	}
	return v
}

// takeStream reads and clears the streaming payload of the struct v
// points to, so the rest can be shown as JSON.
func takeStream(t *testing.T, v any) ([]byte, bool) {
	rv := reflect.ValueOf(v).Elem()
	p := shape.Of(rv.Type()).Payload
	if p == nil || p.Type.Kind != shape.Stream {
		return nil, false
	}
	f := rv.Field(p.Index)
	if f.IsNil() {
		return nil, false
	}
	b, err := io.ReadAll(f.Interface().(io.Reader))
	if err != nil {
		t.Fatal(err)
	}
	f.Set(reflect.Zero(f.Type()))
	return b, true
}

func setStream(t *testing.T, v any, r io.Reader) {
	rv := reflect.ValueOf(v).Elem()
	p := shape.Of(rv.Type()).Payload
	if p == nil || p.Type.Kind != shape.Stream {
		t.Fatal("output.body given for an output without a streaming payload")
	}
	rv.Field(p.Index).Set(reflect.ValueOf(r))
}
