// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"regexp"
	"strings"
)

// patKind is the shape of a =~ pattern.
type patKind uint8

const (
	patRegexp   patKind = iota
	patEqual            // lit
	patPrefix           // lit.*
	patSuffix           // .*lit
	patContains         // .*lit.*
)

// pattern matches a whole value against a =~ pattern. The common shapes of
// placement expressions (t2.*, exact names) skip the regexp engine, which
// costs far more per instance than a prefix test.
type pattern struct {
	kind patKind
	lit  string
	re   *regexp.Regexp
}

// compilePattern recognises patterns that are a literal optionally led and
// followed by ".*"; re is the anchored regexp for the rest.
func compilePattern(src string, re *regexp.Regexp) pattern {
	p := pattern{kind: patRegexp, re: re}
	body, kind := src, patEqual
	lead := strings.HasPrefix(body, ".*")
	if lead {
		body = body[2:]
	}
	trail := strings.HasSuffix(body, ".*") && !strings.HasSuffix(body, `\.*`)
	if trail {
		body = body[:len(body)-2]
	}
	switch {
	case lead && trail:
		kind = patContains
	case lead:
		kind = patSuffix
	case trail:
		kind = patPrefix
	}
	if regexp.QuoteMeta(body) != body || strings.Contains(body, "\n") {
		return p
	}
	return pattern{kind: kind, lit: body, re: re}
}

// match reports whether the whole of v matches. ".*" does not match a
// newline, as in the regexp.
func (p *pattern) match(v string) bool {
	switch p.kind {
	case patEqual:
		return v == p.lit
	case patPrefix:
		return strings.HasPrefix(v, p.lit) && !strings.Contains(v[len(p.lit):], "\n")
	case patSuffix:
		return strings.HasSuffix(v, p.lit) && !strings.Contains(v[:len(v)-len(p.lit)], "\n")
	case patContains:
		i := strings.Index(v, p.lit)
		return i >= 0 && !strings.Contains(v, "\n")
	}
	return p.re.MatchString(v)
}
