// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// match evaluates the pattern against msg without building a document tree:
// the message is validated once, then each condition walks the raw text to
// the values its selector names.
func (jp *jsonPattern) match(msg string) bool {
	i := skipWS(msg, 0)
	if i == len(msg) || (msg[i] != '{' && msg[i] != '[') {
		return false
	}
	if !json.Valid([]byte(msg)) {
		return false
	}
	return jp.root.eval(func(n int) bool { return jp.conds[n].eval(msg, i) })
}

func (c *jsonCond) eval(msg string, root int) bool {
	if c.op == opNotExists {
		return !walkRaw(msg, root, c.sel, c, false)
	}
	return walkRaw(msg, root, c.sel, c, true)
}

// walkRaw reports whether some value selected by steps from the valid JSON
// value at msg[i] exists (test false) or satisfies c (test true).
func walkRaw(msg string, i int, steps []step, c *jsonCond, test bool) bool {
	if len(steps) == 0 {
		return !test || c.testRaw(msg, i)
	}
	s, rest := steps[0], steps[1:]
	switch msg[i] {
	case '{':
		// Like encoding/json, the last of duplicate keys wins.
		found := -1
		i = skipWS(msg, i+1)
		for msg[i] != '}' {
			keyEnd := skipString(msg, i)
			key := msg[i+1 : keyEnd-1]
			i = skipWS(msg, keyEnd)
			i = skipWS(msg, i+1) // ':'
			switch {
			case s.kind == stepWild:
				if walkRaw(msg, i, rest, c, test) {
					return true
				}
			case s.kind == stepField && keyEquals(key, s.key):
				found = i
			}
			i = skipWS(msg, skipValue(msg, i))
			if msg[i] == ',' {
				i = skipWS(msg, i+1)
			}
		}
		return found >= 0 && walkRaw(msg, found, rest, c, test)
	case '[':
		if s.kind == stepField {
			return false
		}
		i = skipWS(msg, i+1)
		for n := 0; msg[i] != ']'; n++ {
			if s.kind == stepWild || n == s.index {
				if walkRaw(msg, i, rest, c, test) {
					return true
				}
				if s.kind == stepIndex {
					return false
				}
			}
			i = skipWS(msg, skipValue(msg, i))
			if msg[i] == ',' {
				i = skipWS(msg, i+1)
			}
		}
	}
	return false
}

// testRaw applies the condition to the JSON value at msg[i]. Selectors that
// land on an object or array never match.
func (c *jsonCond) testRaw(msg string, i int) bool {
	switch msg[i] {
	case '{', '[':
		return false
	case 'n':
		return c.op == opIsNull
	case 't', 'f':
		v := msg[i] == 't'
		switch c.op {
		case opIsTrue:
			return v
		case opIsFalse:
			return !v
		case opIsNull:
			return false
		}
		if v {
			return c.testText("true")
		}
		return c.testText("false")
	}
	if c.op >= opIsNull {
		return false
	}
	if msg[i] == '"' {
		raw := msg[i+1 : skipString(msg, i)-1]
		if strings.IndexByte(raw, '\\') >= 0 || !utf8.ValidString(raw) {
			raw = unquote(msg[i:skipString(msg, i)])
		}
		return c.testText(raw)
	}
	return c.testText(msg[i:skipValue(msg, i)])
}

func keyEquals(raw, key string) bool {
	if strings.IndexByte(raw, '\\') < 0 && utf8.ValidString(raw) {
		return raw == key
	}
	return unquote(`"`+raw+`"`) == key
}

// unquote decodes a JSON string literal that json.Valid already accepted.
func unquote(lit string) string {
	var s string
	if err := json.Unmarshal([]byte(lit), &s); err != nil {
		return ""
	}
	return s
}

func skipWS(msg string, i int) int {
	for i < len(msg) && isSpace(msg[i]) {
		i++
	}
	return i
}

// skipString returns the offset after the string literal starting at msg[i].
func skipString(msg string, i int) int {
	for j := i + 1; j < len(msg); j++ {
		switch msg[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(msg)
}

// skipValue returns the offset after the valid JSON value starting at msg[i].
func skipValue(msg string, i int) int {
	switch msg[i] {
	case '"':
		return skipString(msg, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(msg); j++ {
			switch msg[j] {
			case '"':
				j = skipString(msg, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(msg)
	}
	j := i
	for j < len(msg) && msg[j] != ',' && msg[j] != '}' && msg[j] != ']' && !isSpace(msg[j]) {
		j++
	}
	return j
}
