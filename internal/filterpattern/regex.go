// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"regexp"
	"strings"
)

// regex is a compiled %...% term in AWS's restricted regular-expression
// dialect (see "Supported regular expressions (regex) syntax" in the
// FilterAndPatternSyntax page).
type regex struct {
	src string
	re  *regexp.Regexp
}

// maxRegexPerPattern is AWS's quota of regexes in a JSON or space-delimited
// pattern.
const maxRegexPerPattern = 2

// regexSymbols are the non-alphanumeric literal characters AWS accepts in a
// regex, plus the space its own examples use.
const regexSymbols = ":_#=@/;,- "

// regexOperators are the operators AWS accepts outside a character class.
const regexOperators = "^$?[]{}|\\*+."

// parseRegex reads the regex whose opening '%' is at p[i], checks it against
// AWS's dialect, compiles it, and returns it with the offset after the closing
// '%'.
func parseRegex(p string, i int) (*regex, int, error) {
	start := i
	i++
	j := i
	for j < len(p) && p[j] != '%' {
		if p[j] == '\\' && j+1 < len(p) {
			j++
		}
		j++
	}
	if j >= len(p) {
		return nil, 0, errAt(start, "unterminated regular expression; close it with '%%'")
	}
	src := p[i:j]
	if src == "" {
		return nil, 0, errAt(start, "empty regular expression")
	}
	goSrc, err := translateRegex(src, i)
	if err != nil {
		return nil, 0, err
	}
	re, cerr := regexp.Compile(goSrc)
	if cerr != nil {
		msg := strings.TrimPrefix(cerr.Error(), "error parsing regexp: ")
		return nil, 0, errAt(start, "invalid regular expression %%%s%%: %s", src, msg)
	}
	return &regex{src: src, re: re}, j + 1, nil
}

// translateRegex validates an AWS regex body and rewrites it into RE2
// syntax: '.' also matches newlines, and {m, n} may hold spaces or omit m.
func translateRegex(src string, off int) (string, error) {
	var b strings.Builder
	b.Grow(len(src) + 8)
	b.WriteString("(?s)")
	inClass := false
	for k := 0; k < len(src); k++ {
		c := src[k]
		if c >= 0x80 {
			return "", errAt(off+k, "multi-byte characters are not supported in regular expressions")
		}
		if c == '\\' {
			if k+1 >= len(src) {
				return "", errAt(off+k, "regular expression ends with '\\'")
			}
			n := src[k+1]
			switch {
			case strings.IndexByte("dDsSwW", n) >= 0:
				b.WriteByte('\\')
				b.WriteByte(n)
				k++
			case n == 'x':
				if !isHex(src, k+2) || !isHex(src, k+3) {
					return "", errAt(off+k, "\\x must be followed by two hexadecimal digits")
				}
				b.WriteString(src[k : k+4])
				k += 3
			case n == '%':
				b.WriteByte('%')
				k++
			case n < 0x80 && !isAlnum(n) && n > ' ':
				b.WriteByte('\\')
				b.WriteByte(n)
				k++
			default:
				return "", errAt(off+k, "unsupported escape \\%c in regular expression", n)
			}
			continue
		}
		if inClass {
			switch {
			case c == ']':
				inClass = false
			case isAlnum(c) || strings.IndexByte(regexSymbols, c) >= 0 || strings.IndexByte(regexOperators, c) >= 0:
			default:
				return "", errAt(off+k, "character %q is not supported in regular expressions", string(c))
			}
			if c == '[' {
				// RE2 reads "[:" as a POSIX class; AWS means a literal bracket.
				b.WriteString(`\[`)
				continue
			}
			b.WriteByte(c)
			continue
		}
		switch {
		case c == '(' || c == ')':
			return "", errAt(off+k, "parentheses are not supported in regular expressions")
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is literal in RE2 as in POSIX.
			if k+1 < len(src) && src[k+1] == '^' {
				b.WriteByte('^')
				k++
			}
			if k+1 < len(src) && src[k+1] == ']' {
				b.WriteString(`\]`)
				k++
			}
		case c == ']':
			b.WriteString(`\]`)
		case c == '{':
			q, n, err := parseBraces(src, k, off)
			if err != nil {
				return "", err
			}
			b.WriteString(q)
			k = n - 1
		case c == '}':
			return "", errAt(off+k, "unbalanced '}' in regular expression")
		case isAlnum(c) || strings.IndexByte(regexSymbols, c) >= 0 || strings.IndexByte(regexOperators, c) >= 0:
			b.WriteByte(c)
		default:
			return "", errAt(off+k, "character %q is not supported in regular expressions", string(c))
		}
	}
	if inClass {
		return "", errAt(off+len(src), "unterminated character class in regular expression")
	}
	return b.String(), nil
}

func isHex(s string, k int) bool {
	if k >= len(s) {
		return false
	}
	c := s[k]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseBraces reads a {m,n} quantifier at src[k] and returns it in RE2 form
// and the index after '}'.
func parseBraces(src string, k, off int) (string, int, error) {
	end := strings.IndexByte(src[k:], '}')
	if end < 0 {
		return "", 0, errAt(off+k, "unterminated '{' in regular expression")
	}
	inner := strings.ReplaceAll(src[k+1:k+end], " ", "")
	lo, hi, comma := inner, "", false
	if c := strings.IndexByte(inner, ','); c >= 0 {
		lo, hi, comma = inner[:c], inner[c+1:], true
	}
	if !allDigits(lo) || !allDigits(hi) || (lo == "" && hi == "") || len(lo) > 4 || len(hi) > 4 {
		return "", 0, errAt(off+k, "invalid repetition {%s} in regular expression", src[k+1:k+end])
	}
	if lo == "" {
		lo = "0"
	}
	q := "{" + lo
	if comma {
		q += "," + hi
	}
	return q + "}", k + end + 1, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
