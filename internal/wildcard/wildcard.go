// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package wildcard matches strings against AWS's simple wildcard patterns,
// where * matches any run of characters and ? any one character, with no
// escapes (EC2 filter values, IAM action names in reports), and against
// patterns where only * is special (CloudWatch Logs filter values).
package wildcard

// Match reports whether s matches pattern, where * matches any run of
// characters and ? any one character. It is case-sensitive; callers fold
// case first where AWS ignores it.
func Match(pattern, s string) bool { return match(pattern, s, true) }

// MatchStar is Match where only * is special: ? is an ordinary character.
func MatchStar(pattern, s string) bool { return match(pattern, s, false) }

func match(pattern, s string, question bool) bool {
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(pattern) && pattern[i] == '*':
			// Before the literal case: a * in the pattern is always a
			// wildcard, even where s has a * too.
			star, mark = i, j
			i++
		case i < len(pattern) && (question && pattern[i] == '?' || pattern[i] == s[j]):
			i++
			j++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(pattern) && pattern[i] == '*' {
		i++
	}
	return i == len(pattern)
}
