// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package xmlbody

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// refEscape is escape without its ASCII fast path: every rune decoded.
func refEscape(dst []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			dst = append(dst, "&amp;"...)
		case r == '<':
			dst = append(dst, "&lt;"...)
		case r == '>':
			dst = append(dst, "&gt;"...)
		case r == '"' && attr:
			dst = append(dst, "&quot;"...)
		case r == '\r':
			dst = append(dst, "&#xD;"...)
		case r == '\n' && attr:
			dst = append(dst, "&#xA;"...)
		case r == '\t' && attr:
			dst = append(dst, "&#x9;"...)
		case !validChar(r, width):
			dst = append(dst, "\uFFFD"...)
		default:
			dst = append(dst, s[i:i+width]...)
		}
		i += width
	}
	return dst
}

func TestEscape_MatchesRuneByRune(t *testing.T) {
	var all strings.Builder
	for b := range 256 {
		all.WriteByte(byte(b))
	}
	inputs := []string{"", "plain-ascii_Role/path", all.String(), "a&b<c>d\"e'f\r\n\tg", "ünïcødé ✓ 😀", "\xff\xfe bad utf8 \xc3", "\x00\x01\x1f\x7f", "\uFFFE\uFFFF\U0010FFFF", "\xed\xa0\x80 surrogate"}
	for _, s := range inputs {
		for _, attr := range []bool{false, true} {
			if got, want := string(escape(nil, s, attr)), string(refEscape(nil, s, attr)); got != want {
				t.Errorf("escape(%q, %v) = %q, want %q", s, attr, got, want)
			}
		}
	}
}
