// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a compiled string to match against request values: a
// Resource or NotResource segment, an action name, or a condition value. It
// has two forms. Without policy variables it keeps the text and a shape
// (exact, any, prefix, suffix, contains, glob) so the common cases cost a
// comparison. With variables (or the escapes ${*} ${?} ${$}) it keeps
// tokens, resolved against the request context at evaluation time; values
// substituted from the context are always literal text.
type pattern struct {
	shape shape
	text  string // the pattern (shapeGlob/Exact) or its literal part
	// pre and suf are a glob's literal prefix and suffix (up to the first
	// and after the last wildcard): most subjects are rejected by them
	// before the glob runs.
	pre, suf string
	toks     []ptok // non-nil selects the token form
}

type shape uint8

const (
	shapeExact shape = iota
	shapeAny
	shapePrefix
	shapeSuffix
	shapeContains
	shapeGlob
	shapeTokens
)

type tokKind uint8

const (
	tokLit tokKind = iota
	tokStar
	tokQmark
	tokVar
)

// ptok is one token of a pattern with variables.
type ptok struct {
	kind   tokKind
	lit    string // tokLit text
	key    string // tokVar key, lower-cased
	raw    string // tokVar key as written
	def    string // tokVar default value
	hasDef bool
}

// compilePattern compiles src. vars enables ${...} substitution (policies of
// Version 2012-10-17); wild makes * and ? wildcards; fold lower-cases the
// pattern for case-insensitive matching (the subject is folded while
// matching).
func compilePattern(src string, vars, wild, fold bool) pattern {
	if fold {
		src = strings.ToLower(src)
	}
	if vars && strings.Contains(src, "${") {
		return pattern{shape: shapeTokens, toks: tokenize(src, wild)}
	}
	if !wild || !strings.ContainsAny(src, "*?") {
		return pattern{shape: shapeExact, text: src}
	}
	if src == "*" {
		return pattern{shape: shapeAny}
	}
	if !strings.Contains(src, "?") {
		inner := strings.Trim(src, "*")
		if !strings.Contains(inner, "*") {
			lead, trail := src[0] == '*', src[len(src)-1] == '*'
			switch {
			case lead && trail && strings.Count(src, "*") == 2:
				return pattern{shape: shapeContains, text: inner}
			case trail && !lead && strings.Count(src, "*") == 1:
				return pattern{shape: shapePrefix, text: inner}
			case lead && !trail && strings.Count(src, "*") == 1:
				return pattern{shape: shapeSuffix, text: inner}
			}
		}
	}
	first, last := strings.IndexAny(src, "*?"), strings.LastIndexAny(src, "*?")
	return pattern{shape: shapeGlob, text: src, pre: src[:first], suf: src[last+1:]}
}

// tokenize splits src into literal, wildcard and variable tokens.
func tokenize(src string, wild bool) []ptok {
	var toks []ptok
	lit := func(s string) {
		for s != "" {
			i := len(s)
			if wild {
				if j := strings.IndexAny(s, "*?"); j >= 0 {
					i = j
				}
			}
			if i > 0 {
				toks = append(toks, ptok{kind: tokLit, lit: s[:i]})
			}
			if i < len(s) {
				if s[i] == '*' {
					toks = append(toks, ptok{kind: tokStar})
				} else {
					toks = append(toks, ptok{kind: tokQmark})
				}
				i++
			}
			s = s[i:]
		}
	}
	for src != "" {
		i := strings.Index(src, "${")
		if i < 0 {
			lit(src)
			break
		}
		end := strings.IndexByte(src[i:], '}')
		if end < 0 {
			lit(src)
			break
		}
		lit(src[:i])
		inner := src[i+2 : i+end]
		src = src[i+end+1:]
		switch inner {
		case "*", "?", "$":
			toks = append(toks, ptok{kind: tokLit, lit: inner})
			continue
		}
		t := ptok{kind: tokVar}
		key, def, hasComma := strings.Cut(inner, ",")
		t.raw = strings.TrimSpace(key)
		t.key = strings.ToLower(t.raw)
		if hasComma {
			d := strings.TrimSpace(def)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				t.def, t.hasDef = d[1:len(d)-1], true
			}
		}
		toks = append(toks, t)
	}
	return toks
}

// varKeys appends the context keys a pattern's variables reference.
func (p *pattern) varKeys(dst []string) []string {
	for _, t := range p.toks {
		if t.kind == tokVar {
			dst = append(dst, t.key)
		}
	}
	return dst
}

// maxUnits bounds the tokens of one pattern matched without allocating;
// longer patterns (never seen in practice) are matched through a heap slice.
const maxUnits = 16

// unit is a resolved token: a literal, or a * or ? wildcard.
type unit struct {
	kind tokKind
	s    string
}

// match reports whether subject matches. missing is the key of a variable
// that has no value in ctx and no default; such a pattern matches nothing
// and makes its statement inapplicable ("any attempt to match it fails and
// causes the statement to be invalid").
func (p *pattern) match(subject string, ctx *Context, fold bool) (ok bool, missing string) {
	switch p.shape {
	case shapeAny:
		return true, ""
	case shapeExact:
		if fold {
			return equalFoldASCII(subject, p.text), ""
		}
		return subject == p.text, ""
	case shapePrefix:
		return len(subject) >= len(p.text) && eqMaybeFold(subject[:len(p.text)], p.text, fold), ""
	case shapeSuffix:
		return len(subject) >= len(p.text) && eqMaybeFold(subject[len(subject)-len(p.text):], p.text, fold), ""
	case shapeContains:
		return containsMaybeFold(subject, p.text, fold), ""
	case shapeGlob:
		if len(subject) < len(p.pre)+len(p.suf) ||
			!eqMaybeFold(subject[:len(p.pre)], p.pre, fold) ||
			!eqMaybeFold(subject[len(subject)-len(p.suf):], p.suf, fold) {
			return false, ""
		}
		return globString(p.text, subject, fold), ""
	}
	var buf [maxUnits]unit
	units := buf[:0]
	if len(p.toks) > maxUnits {
		units = make([]unit, 0, len(p.toks))
	}
	for i := range p.toks {
		t := &p.toks[i]
		switch t.kind {
		case tokVar:
			v, ok := ctx.single(t.key)
			if !ok {
				if !t.hasDef {
					return false, t.raw
				}
				v = t.def
			}
			if fold {
				// Lower-case lookups would allocate; fold while matching.
				units = append(units, unit{kind: tokVar, s: v})
			} else {
				units = append(units, unit{kind: tokLit, s: v})
			}
		default:
			units = append(units, unit{kind: t.kind, s: t.lit})
		}
	}
	return globUnits(units, subject, fold), ""
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldASCII compares s with the lower-case pattern p, folding s.
func equalFoldASCII(s, p string) bool {
	if len(s) != len(p) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != p[i] {
			return false
		}
	}
	return true
}

func eqMaybeFold(s, p string, fold bool) bool {
	if fold {
		return equalFoldASCII(s, p)
	}
	return s == p
}

func containsMaybeFold(s, p string, fold bool) bool {
	if !fold {
		return strings.Contains(s, p)
	}
	for i := 0; i+len(p) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

// globString matches s against p, where * matches any run of characters
// (including none) and ? exactly one. With fold, p is lower case and s is
// folded. It backtracks only to the last star, so it runs in O(len(p)*len(s))
// at worst and allocates nothing.
func globString(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				starP, starS = pi, si
				pi++
				continue
			case c == '?':
				pi++
				si += runeLen(s, si)
				continue
			case c == s[si] || fold && c == lowerASCII(s[si]):
				pi++
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si, pi = starS, starP+1
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// globUnits is globString over resolved tokens. A unit of kind tokVar is
// literal text that is folded while matching (see pattern.match).
func globUnits(units []unit, s string, fold bool) bool {
	ui, off, si := 0, 0, 0
	starU, starS := -1, 0
	for si < len(s) {
		for ui < len(units) && (units[ui].kind == tokLit || units[ui].kind == tokVar) && off >= len(units[ui].s) {
			ui, off = ui+1, 0
		}
		if ui < len(units) {
			u := units[ui]
			switch u.kind {
			case tokStar:
				starU, starS = ui, si
				ui, off = ui+1, 0
				continue
			case tokQmark:
				ui++
				si += runeLen(s, si)
				continue
			default:
				c := u.s[off]
				if u.kind == tokVar {
					c = lowerASCII(c)
				}
				if c == s[si] || fold && c == lowerASCII(s[si]) {
					off++
					si++
					continue
				}
			}
		}
		if starU < 0 {
			return false
		}
		starS++
		si, ui, off = starS, starU+1, 0
	}
	for ui < len(units) {
		u := units[ui]
		if u.kind == tokStar || (u.kind != tokQmark && off >= len(u.s)) {
			ui, off = ui+1, 0
			continue
		}
		return false
	}
	return true
}
