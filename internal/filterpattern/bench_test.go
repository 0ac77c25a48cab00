// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"strings"
	"testing"
)

// benchMessage is a 200-byte application log line.
var benchMessage = func() string {
	s := `2026-11-27T04:02:58.123Z ERROR [worker-7] request id 5f1c9a2e-77b1-4c3e-9d2a-0b8f3c1e6a44 ` +
		`failed after 3 retries: upstream returned 503 Service Unavailable (host=api.internal port=8443)`
	for len(s) < 200 {
		s += "."
	}
	return s[:200]
}()

const benchJSON = `{"level":"error","ts":"2026-11-27T04:02:58Z","service":"checkout","latency_ms":1234,` +
	`"http":{"method":"POST","path":"/v1/orders","status":503},"user":{"id":42,"tags":["beta","eu"]},"msg":"upstream unavailable"}`

func benchPattern(b *testing.B, pattern, msg string, want bool) {
	b.Helper()
	p, err := Parse(pattern)
	if err != nil {
		b.Fatal(err)
	}
	if got := p.Match(msg); got != want {
		b.Fatalf("Match = %v, want %v", got, want)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		p.Match(msg)
	}
}

func BenchmarkMatch(b *testing.B) {
	b.Run("unstructured3", func(b *testing.B) {
		benchPattern(b, `ERROR "request id" -DEBUG`, benchMessage, true)
	})
	b.Run("unstructured3miss", func(b *testing.B) {
		benchPattern(b, `ERROR retries timeout`, benchMessage, false)
	})
	b.Run("regex", func(b *testing.B) {
		benchPattern(b, `%returned 5[0-9]{2}%`, benchMessage, true)
	})
	b.Run("json", func(b *testing.B) {
		benchPattern(b, `{ $.level = "error" && $.http.status >= 500 && $.user.tags[*] = "eu" }`, benchJSON, true)
	})
	b.Run("jsonNotJSON", func(b *testing.B) {
		benchPattern(b, `{ $.level = "error" }`, benchMessage, false)
	})
	b.Run("delimited", func(b *testing.B) {
		benchPattern(b, `[ts, level=ERROR, worker, ..., status>=500 || status=*Unavailable*]`, benchMessage[:strings.Index(benchMessage, " (host")], true)
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`{ $.level = "error" && ($.http.status >= 500 || $.msg = %upstream%) }`); err != nil {
			b.Fatal(err)
		}
	}
}
