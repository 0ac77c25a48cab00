// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse and Match never panic and that Parse refuses
// input only with a *SyntaxError.
func FuzzParse(f *testing.F) {
	seeds := []struct{ pattern, msg string }{
		{"", "x"},
		{`ERROR -ARGUMENTS`, err419},
		{`?ERROR ?WARN`, err400},
		{`"INTERNAL SERVER ERROR"`, err500},
		{`" "`, ""},
		{`%^[hc]at{1,3}|dog$%`, "hat"},
		{`{ $.a.b[0] = "x*" && ($.n > 10 || $.f IS TRUE) }`, `{"a":{"b":["xy"]},"n":11,"f":true}`},
		{`{ $.* = %1[0-9]{1,2}% || $.x NOT EXISTS }`, `{"a":"110"}`},
		{`{ $.['k.v'][*] != 4* }`, `{"k.v":[1,2,"5"]}`},
		{`[ip, user, ..., status=4* || status=5*, bytes>1000]`, `1.2.3.4 - frank [x y] "GET /" 404 2000`},
		{`[w1=ERROR, w2]`, "ERROR a b c"},
		{`[a="q r", b=%x%]`, `"q r" x`},
	}
	for _, s := range seeds {
		f.Add(s.pattern, s.msg)
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := Parse(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", pattern, err, err)
			}
			return
		}
		p.Match(msg)
		p.Match(pattern)
	})
}

// FuzzJSONMatch checks the raw-text JSON evaluator against the
// encoding/json oracle.
func FuzzJSONMatch(f *testing.F) {
	f.Add(`{ $.a.b[0] = "x*" && ($.n > 10 || $.f IS TRUE) }`, `{"a":{"b":["xy"]},"n":11,"f":true}`)
	f.Add(`{ $.* = %1[0-9]{1,2}% || $.x NOT EXISTS }`, `{"a":"110"}`)
	f.Add(`{ $.['k.v'][*] != 4* }`, `{"k.v":[1,2,"5"]}`)
	f.Add(`{ $.a IS NULL || $.b[1][0] = "\u00e9" }`, `{"a":1,"b":[[],["\u00e9"]]}`)
	f.Add(`{ $.a\u0062 = 1 }`, `{"a\u0062":1, "ab": 2}`)
	f.Add(`{ $.ab = 1 }`, `{"a\u0062":1}`)
	f.Add(`{ $.s = "q\"x" }`, `{"s":"q\"x"}`)
	f.Add(`{ $[0] = 1 }`, ` [1, {"a": [1,2]}] `)
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		if len(pattern) == 0 || pattern[0] != '{' {
			pattern = "{ " + pattern + " }"
		}
		p, err := Parse(pattern)
		if err != nil || p.kind != kindJSON {
			return
		}
		if got, want := p.json.match(msg), p.json.matchDecoded(msg); got != want {
			t.Fatalf("Parse(%q).Match(%q) = %v, encoding/json oracle says %v", pattern, msg, got, want)
		}
	})
}
