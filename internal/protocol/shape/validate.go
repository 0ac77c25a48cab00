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
// means every required member is present. Paths are only built for
// violations, so a valid input costs a walk and no allocations.
func Missing(v reflect.Value) []string {
	w := walker{}
	w.walk(v)
	return w.out
}

type walker struct {
	path []string // segments of the current path
	out  []string
}

func (w *walker) walk(v reflect.Value) {
	v, ok := Present(v)
	if !ok || len(w.out) >= maxViolations {
		return
	}
	t := Of(v.Type())
	switch t.Kind {
	case Structure:
		for _, m := range t.Members {
			fv, ok := Present(v.Field(m.Index))
			switch {
			case !ok && m.Required && len(w.out) < maxViolations:
				w.out = append(w.out, strings.Join(append(w.path, m.pathName), "."))
			case ok && nested(m.Type):
				w.path = append(w.path, m.pathName)
				w.walk(fv)
				w.path = w.path[:len(w.path)-1]
			}
		}
	case List:
		if !nested(t.Elem) {
			return
		}
		for i := range v.Len() {
			w.path = append(w.path, strconv.Itoa(i+1), "member")
			w.walk(v.Index(i))
			w.path = w.path[:len(w.path)-2]
		}
	case Map:
		if !nested(t.Elem) {
			return
		}
		it := v.MapRange()
		for it.Next() {
			w.path = append(w.path, it.Key().String())
			w.walk(it.Value())
			w.path = w.path[:len(w.path)-1]
		}
	}
}

func nested(t *Type) bool { return t.Kind == Structure || t.Kind == List || t.Kind == Map }

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

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
