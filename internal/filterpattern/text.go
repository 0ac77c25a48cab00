// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import "strings"

// textPattern is an unstructured pattern: every include term must occur,
// no exclude term may occur, and when the pattern has only optional (?)
// terms at least one must occur. AWS ignores ? terms mixed with other terms.
type textPattern struct {
	include  []string
	exclude  []string
	optional []string
}

func (t *textPattern) empty() bool {
	return len(t.include) == 0 && len(t.exclude) == 0 && len(t.optional) == 0
}

func (t *textPattern) match(msg string) bool {
	for _, term := range t.include {
		if !strings.Contains(msg, term) {
			return false
		}
	}
	for _, term := range t.exclude {
		if strings.Contains(msg, term) {
			return false
		}
	}
	if len(t.optional) == 0 {
		return true
	}
	for _, term := range t.optional {
		if strings.Contains(msg, term) {
			return true
		}
	}
	return false
}

// parseText parses the unstructured terms in p[start:end].
func parseText(p string, start, end int) (textPattern, error) {
	var t textPattern
	i := start
	for i < end {
		if isSpace(p[i]) {
			i++
			continue
		}
		termStart := i
		prefix := byte(0)
		if p[i] == '?' || p[i] == '-' {
			prefix = p[i]
			i++
			if i == end || isSpace(p[i]) {
				return t, errAt(termStart, "%q must be followed by a term", string(prefix))
			}
		}
		var term string
		if p[i] == '"' {
			s, next, err := parseQuoted(p, i, end)
			if err != nil {
				return t, err
			}
			if next < end && !isSpace(p[next]) {
				return t, errAt(next, "a quoted term must be followed by a space")
			}
			i = next
			if strings.TrimSpace(s) == "" {
				// AWS: `" "` matches every event; a blank term constrains nothing.
				continue
			}
			term = s
		} else {
			j := i
			for j < end && !isSpace(p[j]) {
				c := p[j]
				if !isAlnum(c) && c != '_' && c < 0x80 {
					return t, errAt(j, "invalid character %q in term; enclose terms with non-alphanumeric characters in double quotation marks", string(c))
				}
				j++
			}
			term = p[i:j]
			i = j
		}
		switch prefix {
		case '?':
			t.optional = append(t.optional, term)
		case '-':
			t.exclude = append(t.exclude, term)
		default:
			t.include = append(t.include, term)
		}
	}
	if len(t.include) > 0 || len(t.exclude) > 0 {
		t.optional = nil
	}
	return t, nil
}

// parseQuoted reads the double-quoted string starting at p[i] (a '"'), with
// \" and \\ escapes, and returns its value and the offset after the closing
// quote.
func parseQuoted(p string, i, end int) (string, int, error) {
	start := i
	i++
	var b strings.Builder
	plain := true
	for j := i; j < end; j++ {
		switch p[j] {
		case '"':
			if plain {
				return p[i:j], j + 1, nil
			}
			return b.String(), j + 1, nil
		case '\\':
			if j+1 < end && (p[j+1] == '"' || p[j+1] == '\\') {
				if plain {
					b.WriteString(p[i:j])
					plain = false
				}
				b.WriteByte(p[j+1])
				j++
				continue
			}
		}
		if !plain {
			b.WriteByte(p[j])
		}
	}
	return "", 0, errAt(start, "unterminated quoted string")
}
