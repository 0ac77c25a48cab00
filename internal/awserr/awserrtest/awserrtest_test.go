// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awserrtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/berthdev/berth/internal/awserr"
)

func TestWantCode(t *testing.T) {
	e := &awserr.Error{Code: "NoSuchEntity", Message: "The user with name bob cannot be found.", HTTPStatus: 404}
	wrapped := fmt.Errorf("op: %w", e)
	tests := []struct {
		name      string
		err       error
		code, msg string
		fails     bool
	}{
		{"code", e, "NoSuchEntity", "", false},
		{"code and message", wrapped, "NoSuchEntity", "The user with name bob cannot be found.", false},
		{"other code", e, "AccessDenied", "", true},
		{"other message", e, "NoSuchEntity", "nope", true},
		{"not an AWS error", errors.New("boom"), "NoSuchEntity", "", true},
		{"no error", nil, "NoSuchEntity", "", true},
	}
	for _, tc := range tests {
		if got := mismatch(tc.err, tc.code, tc.msg); (got != "") != tc.fails {
			t.Errorf("%s: mismatch %q, want failing=%v", tc.name, got, tc.fails)
		}
	}
	WantCode(t, wrapped, "NoSuchEntity", "") // passes
}
