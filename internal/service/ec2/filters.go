// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"encoding/base64"
	"github.com/berthdev/berth/internal/wildcard"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
)

// filter is one EC2 filter: the attribute must equal one of the values,
// where a value may use the wildcards * and ?.
type filter struct {
	name   string
	values []string
}

// attrFunc returns the values of a filterable attribute of a record, and
// false when the filter name is not one the resource supports.
type attrFunc[T any] func(r T, name string) ([]string, bool)

// parseFilters checks every filter name against attr (on a zero record)
// so an unknown name fails the request as EC2 does.
func parseFilters[T any](fs []ec2api.Filter, attr attrFunc[T]) ([]filter, error) {
	var zero T
	out := make([]filter, 0, len(fs))
	for _, f := range fs {
		name := aws.ToString(f.Name)
		if _, ok := attr(zero, name); !ok {
			return nil, ec2api.ErrInvalidParameterValue("The filter '%s' is invalid", name)
		}
		out = append(out, filter{name: name, values: f.Values})
	}
	return out, nil
}

// matches reports whether r passes every filter.
func matches[T any](r T, fs []filter, attr attrFunc[T]) bool {
	for _, f := range fs {
		got, _ := attr(r, f.name)
		if !anyMatch(got, f.values) {
			return false
		}
	}
	return true
}

func anyMatch(got, patterns []string) bool {
	for _, g := range got {
		for _, p := range patterns {
			if wildcard.Match(p, g) {
				return true
			}
		}
	}
	return false
}

// instanceAttr is the filterable attributes of an instance.
func instanceAttr(r *instanceRec, name string) ([]string, bool) {
	if key, ok := strings.CutPrefix(name, "tag:"); ok {
		if r == nil {
			return nil, true
		}
		if v, ok := r.tag(key); ok {
			return []string{v}, true
		}
		return nil, true
	}
	switch name {
	case "instance-id", "instance-state-name", "instance-state-code", "availability-zone", "image-id",
		"instance-type", "private-ip-address", "private-dns-name", "reservation-id", "client-token",
		"iam-instance-profile.arn", "iam-instance-profile.id", "tag-key", "tag-value", "owner-id":
	default:
		return nil, false
	}
	if r == nil {
		return nil, true
	}
	switch name {
	case "instance-id":
		return []string{r.ID}, true
	case "instance-state-name":
		return []string{r.State}, true
	case "instance-state-code":
		return []string{strconv.Itoa(int(stateCodes[r.State]))}, true
	case "availability-zone":
		return []string{r.Zone}, true
	case "image-id":
		return []string{r.ImageID}, true
	case "instance-type":
		return []string{r.InstanceType}, true
	case "private-ip-address":
		return []string{r.PrivateIP}, true
	case "private-dns-name":
		return []string{r.Hostname}, true
	case "reservation-id":
		return []string{r.ReservationID}, true
	case "client-token":
		return []string{r.ClientToken}, true
	case "iam-instance-profile.arn":
		if r.Assoc != nil {
			return []string{r.Assoc.ProfileARN}, true
		}
	case "iam-instance-profile.id":
		if r.Assoc != nil {
			return []string{r.Assoc.ProfileID}, true
		}
	case "tag-key", "tag-value":
		out := make([]string, 0, len(r.Tags))
		for _, t := range r.Tags {
			if name == "tag-key" {
				out = append(out, t.Key)
			} else {
				out = append(out, t.Value)
			}
		}
		return out, true
	}
	return nil, true
}

// paging validates MaxResults (EC2 accepts 5..1000; 1000 when absent) and
// NextToken, and returns the page size and the id the page starts after.
func paging(maxResults *int32, token *string) (size int, after string, err error) {
	size = 1000
	if maxResults != nil {
		n := *maxResults
		if n < 5 || n > 1000 {
			return 0, "", ec2api.ErrInvalidParameterValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", n)
		}
		size = int(n)
	}
	if token == nil || *token == "" {
		return size, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil || len(b) == 0 {
		return 0, "", ec2api.ErrInvalidNextToken("The token '%s' is invalid.", *token)
	}
	return size, string(b), nil
}

// Page tokens are the base64 of the last id of the previous page.
func encodeToken(lastID string) *string {
	return aws.String(base64.RawURLEncoding.EncodeToString([]byte(lastID)))
}

// page returns the items after the token's id, at most size, and the
// token of the next page (nil on the last).
func page[T any](items []T, id func(T) string, after string, size int) ([]T, *string) {
	start := 0
	if after != "" {
		for start < len(items) && id(items[start]) <= after {
			start++
		}
	}
	items = items[start:]
	if len(items) <= size {
		return items, nil
	}
	return items[:size], encodeToken(id(items[size-1]))
}
