// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"errors"
	"fmt"
)

// InvalidParameterError rejects a request as ECS rejects it with
// InvalidParameterException: a bad strategy or constraint, or a malformed
// cluster query expression. Message is safe to return to the client; the
// ECS service passes it to ecsapi's InvalidParameterException constructor.
type InvalidParameterError struct {
	Message string
	// Offset is the byte offset in the expression where a query error was
	// found, or -1 when the error is not about an expression's text.
	Offset int
}

// Error implements error.
func (e *InvalidParameterError) Error() string {
	return "scheduler: invalid parameter: " + e.Message
}

func invalidParam(format string, args ...any) *InvalidParameterError {
	return &InvalidParameterError{Message: fmt.Sprintf(format, args...), Offset: -1}
}

func queryError(expr string, offset int, msg string) *InvalidParameterError {
	return &InvalidParameterError{
		Message: fmt.Sprintf("Invalid expression %q: %s at offset %d.", expr, msg, offset),
		Offset:  offset,
	}
}

// ErrConflict is returned by Scheduler.Process, wrapped, when placements
// kept losing compare-and-swap races for Config.MaxAttempts rounds.
var ErrConflict = errors.New("scheduler: placement conflicted with concurrent changes")
