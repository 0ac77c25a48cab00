// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
)

// ECR's constraints on names, tags and digests.
var (
	nameRE   = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
	sha256RE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

const namePattern = `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`

// validateName checks a repository name as ECR does.
func validateName(name string) error {
	switch {
	case name == "":
		return ecrapi.ErrInvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'")
	case len(name) < 2:
		return ecrapi.ErrInvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must have length greater than or equal to 2'")
	case len(name) > 256:
		return ecrapi.ErrInvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must have length less than or equal to 256'")
	case !nameRE.MatchString(name):
		return ecrapi.ErrInvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '%s''", namePattern)
	}
	return nil
}

// validTag reports whether tag is a valid image tag.
func validTag(tag string) bool { return tagRE.MatchString(tag) }

// validDigest reports whether d is a well-formed digest algorithm:hex.
func validDigest(d string) bool {
	return digestRE.MatchString(d) && (!strings.HasPrefix(d, "sha256:") || sha256RE.MatchString(d))
}

// repoARN is the ARN of repository name in account.
func (s *Service) repoARN(account, name string) string {
	return "arn:aws:ecr:" + s.cfg.Region + ":" + account + ":repository/" + name
}

// repoOfARN returns the repository an ECR repository ARN of this registry
// names.
func (s *Service) repoOfARN(a string) (string, bool) {
	name, ok := strings.CutPrefix(a, s.repoARN(s.cfg.AccountID, ""))
	return name, ok && name != ""
}

// encodeToken and decodeToken make opaque pagination tokens.
func encodeToken(after string) *string {
	if after == "" {
		return nil
	}
	return ptr(base64.RawURLEncoding.EncodeToString([]byte(after)))
}

func decodeToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", ecrapi.ErrInvalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'")
	}
	return string(b), nil
}

// maxResults checks a maxResults member (1..limit) and returns it, or def
// when absent.
func maxResults(v *int32, limit, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || int(*v) > limit {
		return 0, ecrapi.ErrInvalidParameter("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and %d'", limit)
	}
	return int(*v), nil
}
