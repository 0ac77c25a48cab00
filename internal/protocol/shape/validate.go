// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// maxViolations caps how many missing members Missing reports, as AWS caps
// its validation messages.
const maxViolations = 10

// Missing walks the decoded input v (a struct or pointer to one) and returns
// the paths of required members that are absent, in AWS's notation:
// "roleName", "overrides.containerOverrides.1.member.name". A nil result
// means every required member is present.
func Missing(v reflect.Value) []string {
	var out []string
	missing(v, "", &out)
	return out
}

func missing(v reflect.Value, path string, out *[]string) {
	v, ok := Present(v)
	if !ok || len(*out) >= maxViolations {
		return
	}
	t := Of(v.Type())
	switch t.Kind {
	case Structure:
		for _, m := range t.Members {
			fv, ok := Present(v.Field(m.Index))
			p := join(path, lowerFirst(m.Name))
			if !ok {
				if m.Required && len(*out) < maxViolations {
					*out = append(*out, p)
				}
				continue
			}
			if k := m.Type.Kind; k == Structure || k == List || k == Map {
				missing(fv, p, out)
			}
		}
	case List:
		if k := t.Elem.Kind; k != Structure && k != List && k != Map {
			return
		}
		for i := range v.Len() {
			missing(v.Index(i), path+"."+strconv.Itoa(i+1)+".member", out)
		}
	case Map:
		if k := t.Elem.Kind; k != Structure && k != List && k != Map {
			return
		}
		it := v.MapRange()
		for it.Next() {
			missing(it.Value(), path+"."+it.Key().String(), out)
		}
	}
}

// MissingMessage formats paths from Missing as AWS words validation errors:
// "1 validation error detected: Value null at 'roleName' failed to satisfy
// constraint: Member must not be null".
func MissingMessage(paths []string) string {
	var b strings.Builder
	noun := "errors"
	if len(paths) == 1 {
		noun = "error"
	}
	fmt.Fprintf(&b, "%d validation %s detected: ", len(paths), noun)
	for i, p := range paths {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "Value null at '%s' failed to satisfy constraint: Member must not be null", p)
	}
	return b.String()
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
