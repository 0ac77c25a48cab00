// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson_test

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/berthdev/berth/internal/protocol/awsjson"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

var newCodec = awsjson.New

// runTaskFixture returns the RunTask request and output of
// testdata/run_task.txtar: an ECS agent-sized request and answer.
func runTaskFixture(b *testing.B) (*http.Request, []byte, *RunTaskResponse) {
	a := protocoltest.ReadArchive(b, filepath.Join("testdata", "run_task.txtar"))
	r := protocoltest.Request(b, a.Get("request"))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		b.Fatal(err)
	}
	out := new(RunTaskResponse)
	if err := json.Unmarshal(a.Get("output.json"), out); err != nil {
		b.Fatal(err)
	}
	return r, body, out
}

func BenchmarkRunTask_Decode(b *testing.B) {
	r, body, _ := runTaskFixture(b)
	svc := ecsService()
	codec, op := newCodec(svc), svc.Operations["RunTask"]
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		protocoltest.Rewind(r, body)
		if err := codec.DecodeInput(r, op, new(RunTaskRequest)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunTask_Encode(b *testing.B) {
	_, _, out := runTaskFixture(b)
	svc := ecsService()
	codec, op := newCodec(svc), svc.Operations["RunTask"]
	w := &protocoltest.DiscardWriter{H: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		if err := codec.EncodeOutput(w, op, out, "0f3a1c2e-5b7d-4e8f-9a10-b2c3d4e5f607"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunTask_DecodeEncode is one full codec pass of a RunTask call.
func BenchmarkRunTask_DecodeEncode(b *testing.B) {
	r, body, out := runTaskFixture(b)
	svc := ecsService()
	codec, op := newCodec(svc), svc.Operations["RunTask"]
	w := &protocoltest.DiscardWriter{H: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		protocoltest.Rewind(r, body)
		w.Reset()
		if err := codec.DecodeInput(r, op, new(RunTaskRequest)); err != nil {
			b.Fatal(err)
		}
		if err := codec.EncodeOutput(w, op, out, "0f3a1c2e-5b7d-4e8f-9a10-b2c3d4e5f607"); err != nil {
			b.Fatal(err)
		}
	}
}
