// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package arn

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ARN
		ok   bool
	}{
		{"role", "arn:aws:iam::123456789012:role/x/y", ARN{"aws", "iam", "", "123456789012", "role/x/y"}, true},
		{"colons in resource", "arn:aws:ecs:us-east-1:1:task/c:d", ARN{"aws", "ecs", "us-east-1", "1", "task/c:d"}, true},
		{"too short", "arn:aws:iam::1", ARN{}, false},
		{"not an arn", "role/x", ARN{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("Parse(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if got != tc.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if tc.ok && got.String() != tc.in {
				t.Fatalf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestIsAccountID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"123456789012", true},
		{"000000000000", true},
		{"12345678901", false},
		{"1234567890123", false},
		{"12345678901a", false},
		{"", false},
		{"12345678901٣", false}, // a non-ASCII digit
	}
	for _, tc := range tests {
		if got := IsAccountID(tc.in); got != tc.want {
			t.Errorf("IsAccountID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
