// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awserrtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/berthdev/berth/internal/awserr"
)

// WantCode fails the test unless err is an *awserr.Error with code and,
// when msg is not empty, message msg.
func WantCode(t testing.TB, err error, code, msg string) {
	t.Helper()
	if why := mismatch(err, code, msg); why != "" {
		t.Fatal(why)
	}
}

// mismatch says how err differs from the AWS error WantCode wants ("" when
// it does not).
func mismatch(err error, code, msg string) string {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		return fmt.Sprintf("error = %v, want %s", err, code)
	}
	if ae.Code != code || msg != "" && ae.Message != msg {
		return fmt.Sprintf("error = %s: %q, want %s: %q", ae.Code, ae.Message, code, msg)
	}
	return ""
}
