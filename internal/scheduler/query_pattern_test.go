// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"regexp"
	"testing"
)

// FuzzPattern checks the literal fast paths against the regexp engine.
func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"t2.*", "t2.micro"}, {"t2.*", "m5.large"}, {".*large", "m5.xlarge"}, {".*x.*", "m5.xlarge"},
		{"m5.large", "m5.large"}, {".*", "a\nb"}, {"t2.*", "t2\n"}, {`\.*`, "..."}, {"", ""}, {"a|b", "b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, src, v string) {
		re, err := regexp.Compile("^(?:" + src + ")$")
		if err != nil {
			return
		}
		p := compilePattern(src, re)
		if got, want := p.match(v), re.MatchString(v); got != want {
			t.Fatalf("pattern %q (kind %d) on %q: %v, regexp says %v", src, p.kind, v, got, want)
		}
	})
}

func TestCompilePattern_Kinds(t *testing.T) {
	tests := []struct {
		src  string
		want patKind
	}{
		{"t2.micro", patRegexp}, // '.' is a metacharacter
		{"t2.*", patPrefix},
		{".*large", patSuffix},
		{".*prod.*", patContains},
		{"prod", patEqual},
		{"(a|b).*", patRegexp},
	}
	for _, tc := range tests {
		if got := compilePattern(tc.src, regexp.MustCompile("^(?:"+tc.src+")$")).kind; got != tc.want {
			t.Errorf("%q: kind %d, want %d", tc.src, got, tc.want)
		}
	}
}
