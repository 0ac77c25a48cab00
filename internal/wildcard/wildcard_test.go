// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package wildcard

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"*b", "*ab", true}, // a * in s does not make the pattern's * literal
		{"a*", "a*", true},
		{"*x", "*ab", false},
		{"a?c", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"ecs:submit*", "ecs:submittaskstatechange", true},
		{"*-prod", "web-prod", true},
		{"*-prod", "web-prod-2", false},
		{"i-*", "i-0123", true},
		{"", "", true},
		{"", "x", false},
		{"**a", "ba", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"o?s", "os", false},
	}
	for _, tc := range tests {
		if got := Match(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestMatchStar(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"a?c", "a?c", true},
		{"a?c", "abc", false}, // ? is ordinary
		{"*b", "*ab", true},
		{"status_*", "status_404", true},
		{"4*", "500", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := MatchStar(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchStar(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
