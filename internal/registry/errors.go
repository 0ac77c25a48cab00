// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import "errors"

// Errors of the Guard and of the Go storage API. Callers match them with
// errors.Is; returned errors wrap them with detail fit for a client.
var (
	ErrUnauthenticated    = errors.New("registry: unauthenticated")
	ErrDenied             = errors.New("registry: denied")
	ErrRepositoryNotFound = errors.New("registry: repository not found")
	ErrImageNotFound      = errors.New("registry: image not found")
	ErrBlobNotFound       = errors.New("registry: blob not found") // also "layer not found"
	ErrUploadNotFound     = errors.New("registry: upload not found")
	ErrInvalidDigest      = errors.New("registry: invalid digest")   // wrong or malformed digest
	ErrInvalidManifest    = errors.New("registry: invalid manifest") // unparseable / unsupported media type
	ErrInvalidRange       = errors.New("registry: invalid layer part range")
	ErrTagImmutable       = errors.New("registry: tag is immutable")
)
