// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import "testing"

func TestEC2_FilterGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"ops", "ops", true},
		{"ops", "opsx", false},
		{"o*", "ops", true},
		{"*s", "ops", true},
		{"*", "", true},
		{"o?s", "ops", true},
		{"o?s", "os", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.s, func(t *testing.T) {
			if got := glob(tc.pattern, tc.s); got != tc.want {
				t.Errorf("glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
			}
		})
	}
}
