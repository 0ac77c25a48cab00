// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"encoding/json"
	"strings"
)

// This file keeps a straightforward encoding/json evaluator of JSON patterns
// as an oracle for the allocation-free one in json_eval.go.

func (jp *jsonPattern) matchDecoded(msg string) bool {
	i := 0
	for i < len(msg) && isSpace(msg[i]) {
		i++
	}
	if i == len(msg) || (msg[i] != '{' && msg[i] != '[') {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return false
	}
	for off := dec.InputOffset(); off < int64(len(msg)); off++ {
		if !isSpace(msg[off]) {
			return false
		}
	}
	return jp.root.eval(func(n int) bool { return jp.conds[n].evalDecoded(root) })
}

func (c *jsonCond) evalDecoded(root any) bool {
	if c.op == opNotExists {
		return !walk(root, c.sel, func(any) bool { return true })
	}
	return walk(root, c.sel, c.testDecoded)
}

// walk reports whether some value selected by steps from v satisfies fn.
func walk(v any, steps []step, fn func(any) bool) bool {
	if len(steps) == 0 {
		return fn(v)
	}
	s, rest := steps[0], steps[1:]
	switch s.kind {
	case stepField:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		child, ok := m[s.key]
		return ok && walk(child, rest, fn)
	case stepIndex:
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return false
		}
		return walk(a[s.index], rest, fn)
	}
	switch t := v.(type) {
	case map[string]any:
		for _, child := range t {
			if walk(child, rest, fn) {
				return true
			}
		}
	case []any:
		for _, child := range t {
			if walk(child, rest, fn) {
				return true
			}
		}
	}
	return false
}

// test applies the condition to one selected JSON value. Selectors that land
// on an object or array never match.
func (c *jsonCond) testDecoded(v any) bool {
	switch t := v.(type) {
	case nil:
		return c.op == opIsNull
	case bool:
		switch c.op {
		case opIsTrue:
			return t
		case opIsFalse:
			return !t
		case opIsNull:
			return false
		}
		if t {
			return c.testText("true")
		}
		return c.testText("false")
	case string:
		if c.op >= opIsNull {
			return false
		}
		return c.testText(t)
	case json.Number:
		if c.op >= opIsNull {
			return false
		}
		return c.testText(string(t))
	}
	return false
}
