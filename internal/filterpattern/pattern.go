// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/wildcard"
)

// MaxPatternLength is the longest filter pattern AWS accepts.
const MaxPatternLength = 1024

// SyntaxError is the error Parse returns for a pattern it refuses. Its message
// is suitable for an InvalidParameterException.
type SyntaxError struct {
	// Offset is the byte offset in the pattern where the problem was found.
	Offset int
	// Detail says what is wrong.
	Detail string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("Invalid filter pattern: %s (at offset %d)", e.Detail, e.Offset)
}

func errAt(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Detail: fmt.Sprintf(format, args...)}
}

type kind uint8

const (
	kindAll kind = iota
	kindText
	kindRegex
	kindJSON
	kindDelimited
)

// Pattern is a compiled filter pattern.
type Pattern struct {
	kind  kind
	text  textPattern
	regex *regex
	json  *jsonPattern
	delim *delimPattern
}

// Parse compiles a filter pattern. The empty (or all-blank) pattern matches
// every event.
func Parse(pattern string) (*Pattern, error) {
	if len(pattern) > MaxPatternLength {
		return nil, errAt(MaxPatternLength, "pattern is longer than %d characters", MaxPatternLength)
	}
	start := 0
	for start < len(pattern) && isSpace(pattern[start]) {
		start++
	}
	end := len(pattern)
	for end > start && isSpace(pattern[end-1]) {
		end--
	}
	if start == end {
		return &Pattern{kind: kindAll}, nil
	}
	body := pattern[start:end]
	switch body[0] {
	case '{':
		if body[len(body)-1] != '}' {
			return nil, errAt(end, "a JSON pattern must end with '}'")
		}
		jp, err := parseJSON(pattern, start+1, end-1)
		if err != nil {
			return nil, err
		}
		return &Pattern{kind: kindJSON, json: jp}, nil
	case '[':
		if body[len(body)-1] != ']' {
			return nil, errAt(end, "a space-delimited pattern must end with ']'")
		}
		dp, err := parseDelimited(pattern, start+1, end-1)
		if err != nil {
			return nil, err
		}
		return &Pattern{kind: kindDelimited, delim: dp}, nil
	case '%':
		if len(body) < 2 || body[len(body)-1] != '%' {
			return nil, errAt(start, "a regular expression must be enclosed in '%%' and stand alone")
		}
		re, next, err := parseRegex(pattern, start)
		if err != nil {
			return nil, err
		}
		if next != end {
			return nil, errAt(next, "a regular expression must stand alone in an unstructured pattern")
		}
		return &Pattern{kind: kindRegex, regex: re}, nil
	}
	tp, err := parseText(pattern, start, end)
	if err != nil {
		return nil, err
	}
	if tp.empty() {
		return &Pattern{kind: kindAll}, nil
	}
	return &Pattern{kind: kindText, text: tp}, nil
}

// Match reports whether the log event message matches. A nil *Pattern
// matches every event.
func (p *Pattern) Match(message string) bool {
	if p == nil {
		return true
	}
	switch p.kind {
	case kindText:
		return p.text.match(message)
	case kindRegex:
		return p.regex.re.MatchString(message)
	case kindJSON:
		return p.json.match(message)
	case kindDelimited:
		return p.delim.match(message)
	}
	return true
}

// MatchesAll reports whether the pattern matches every event, so callers can
// skip evaluating it.
func (p *Pattern) MatchesAll() bool { return p == nil || p.kind == kindAll }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// glob reports whether s matches pattern, where '*' matches any run of
// bytes (including none) and every other byte matches itself.
func glob(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	return wildcard.MatchStar(pattern, s)
}
