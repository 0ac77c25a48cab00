// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/awserr"
)

// Name and value rules of the CloudWatch Logs API reference.
var (
	groupNameRE    = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	groupPatternRE = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]*$`)
	streamNameRE   = regexp.MustCompile(`^[^:*]*$`)
	tagKeyRE       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRE     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// retentionDays are the values PutRetentionPolicy accepts.
var retentionDays = map[int32]bool{
	1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true,
	180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true,
	2557: true, 2922: true, 3288: true, 3653: true,
}

const maxTags = 50

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// intList formats ints as AWS lists enum values: "[1, 3, 5]".
func intList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// invalid returns an InvalidParameterException in AWS's validation words.
func invalid(value, field, constraint string) *awserr.Error {
	return logsapi.ErrInvalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func checkGroupName(field, name string) error {
	if name == "" || utf8.RuneCountInString(name) > 512 {
		return invalid(name, field, "Member must have length between 1 and 512")
	}
	if !groupNameRE.MatchString(name) {
		return invalid(name, field, `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

func checkStreamName(field, name string) error {
	if name == "" || utf8.RuneCountInString(name) > 512 {
		return invalid(name, field, "Member must have length between 1 and 512")
	}
	if !streamNameRE.MatchString(name) {
		return invalid(name, field, "Member must satisfy regular expression pattern: [^:*]*")
	}
	return nil
}

func checkLimit(limit *int32, maxLimit int32) error {
	if limit != nil && (*limit < 1 || *limit > maxLimit) {
		return invalid(fmt.Sprint(*limit), "limit", fmt.Sprintf("Member must have value between 1 and %d", maxLimit))
	}
	return nil
}

func limitOr(limit *int32, def int) int {
	if limit == nil {
		return def
	}
	return int(*limit)
}

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return invalid(fmt.Sprint(len(tags)), "tags", "Member must have length less than or equal to 50")
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > 128 || !tagKeyRE.MatchString(k) {
			return invalid(k, "tags", `Map keys must satisfy constraint: [Member must have length between 1 and 128, Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$]`)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return logsapi.ErrInvalidParameter("Tag keys beginning with 'aws:' are reserved: %s", k)
		}
		if utf8.RuneCountInString(v) > 256 || !tagValueRE.MatchString(v) {
			return invalid(v, "tags", `Map values must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$]`)
		}
	}
	return nil
}

// groupRef returns the log group a request names by logGroupName or
// logGroupIdentifier (a name or a log group ARN, with or without ":*").
func (s *Service) groupRef(name, ident *string) (string, error) {
	switch {
	case name != nil && ident != nil:
		return "", logsapi.ErrInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != nil:
		return *name, checkGroupName("logGroupName", *name)
	case ident != nil:
		g, ok := s.groupFromARN(*ident)
		if !ok {
			g = *ident
			if strings.HasPrefix(g, "arn:") {
				return "", logsapi.ErrInvalidParameter("Invalid log group identifier: %s", g)
			}
		}
		return g, checkGroupName("logGroupIdentifier", g)
	default:
		return "", logsapi.ErrInvalidParameter("Should provide either name or ARN of the log group.")
	}
}

// groupFromARN returns the group name of a log group ARN of this account
// and region, or of such a group's log-stream ARN.
func (s *Service) groupFromARN(arn string) (string, bool) {
	rest, ok := strings.CutPrefix(arn, s.groupARN(""))
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, ":*")
	if i := strings.Index(rest, ":"); i >= 0 {
		rest = rest[:i]
	}
	return rest, rest != ""
}

// pageToken is the decoded nextToken of the Describe operations: the sort
// key of the last item returned.
type pageToken struct {
	Name string `json:"n"`
	Time int64  `json:"t,omitempty"`
}

func encodeToken(t pageToken) *string {
	b, _ := json.Marshal(t)
	return ptr(base64.RawURLEncoding.EncodeToString(b))
}

func decodeToken(s *string) (*pageToken, error) {
	if s == nil {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*s)
	var t pageToken
	if err != nil || json.Unmarshal(b, &t) != nil || t.Name == "" {
		return nil, logsapi.ErrInvalidParameter(msgBadToken)
	}
	return &t, nil
}
