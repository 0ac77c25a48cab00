// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package awserrtest checks in tests that a service returned the AWS
// error it should: an *awserr.Error with a given code and message. It is
// imported only by tests.
package awserrtest
