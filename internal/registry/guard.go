// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import "context"

// Guard is what the registry asks the control plane on every HTTP request.
// Implementations must be safe for concurrent use.
type Guard interface {
	// Authenticate turns HTTP Basic credentials into a context that carries
	// the caller's principal (principal.NewContext); ErrUnauthenticated
	// (wrapped) when the token is bad or expired.
	Authenticate(ctx context.Context, username, password string) (context.Context, error)
	// Authorize decides one ecr: action (e.g. "ecr:BatchGetImage") on the
	// repository NAME for the principal in ctx. It returns nil, or an error
	// that errors.Is ErrRepositoryNotFound or ErrDenied (with a message fit
	// for the client).
	Authorize(ctx context.Context, action, repository string) error
	// Repository reports whether the repository exists and whether its tags
	// are immutable: ErrRepositoryNotFound when it is missing.
	Repository(ctx context.Context, name string) (RepositoryInfo, error)
}

// RepositoryInfo is what the registry needs to know of an ECR repository.
type RepositoryInfo struct {
	Name          string
	ImmutableTags bool
}
