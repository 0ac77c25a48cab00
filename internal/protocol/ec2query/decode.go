// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2query

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// node is one dotted segment of the flat query keys:
// "Filter.1.Value.2=v" becomes Filter → 1 → Value → 2 (value "v").
type node struct {
	value    string
	children map[string]*node
}

func tree(form url.Values) *node {
	root := &node{}
	for key, vals := range form {
		n := root
		for seg := range strings.SplitSeq(key, ".") {
			if n.children == nil {
				n.children = map[string]*node{}
			}
			c := n.children[seg]
			if c == nil {
				c = &node{}
				n.children[seg] = c
			}
			n = c
		}
		if len(vals) > 0 {
			n.value = vals[0]
		}
	}
	return root
}

// fault is a client error found while decoding.
type fault struct {
	code string
	msg  string
}

func (f *fault) Error() string { return f.code + ": " + f.msg }

func malformed(format string, args ...any) error {
	return &fault{code: codeInvalidParameter, msg: fmt.Sprintf(format, args...)}
}

// keysCache maps a struct type to the query key of each of its members
// (indexed like shape.Fields.Members), computed once per type.
var keysCache sync.Map // reflect.Type → []string

// queryKeys returns the query keys of the members of struct type base:
// the queryName tag, else the wire name with its first letter upper-cased.
func queryKeys(base reflect.Type, t *shape.Type) []string {
	if k, ok := keysCache.Load(base); ok {
		return k.([]string)
	}
	keys := make([]string, len(t.Members))
	for i, m := range t.Members {
		keys[i] = base.Field(m.Index).Tag.Get("queryName")
		if keys[i] == "" {
			keys[i] = upperFirst(m.Name)
		}
	}
	k, _ := keysCache.LoadOrStore(base, keys)
	return k.([]string)
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func decodeStruct(n *node, v reflect.Value, t *shape.Type, prefix string) error {
	keys := queryKeys(t.Base, t)
	for i, m := range t.Members {
		if m.Location != shape.Body {
			continue
		}
		c := n.children[keys[i]]
		if c == nil {
			continue
		}
		tf := m.Time
		if err := decodeValue(c, v.Field(m.Index), m.Type, m, tf, prefix+keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue decodes n into v of type t. m is the member v belongs to
// (nil for list items and map values), which names map keys and values.
func decodeValue(n *node, v reflect.Value, t *shape.Type, m *shape.Member, tf shape.TimeFormat, key string) error {
	switch t.Kind {
	case shape.Structure:
		if n.children == nil && n.value != "" {
			return malformed("Expected a structure for parameter %s, found a value", key)
		}
		return decodeStruct(n, shape.Alloc(v), t, key+".")
	case shape.List:
		return decodeList(n, v, t, key)
	case shape.Map:
		k, val := "key", "value"
		if m != nil {
			k, val = m.Key, m.Value
		}
		return decodeMap(n, v, t, k, val, key)
	case shape.Document, shape.Stream, shape.Invalid:
		return nil
	}
	if n.children != nil {
		return malformed("Unexpected complex element for parameter %s", key)
	}
	if err := shape.SetText(shape.Alloc(v), t.Kind, n.value, tf.Or(shape.ISO8601)); err != nil {
		return &fault{code: "InvalidParameterValue",
			msg: fmt.Sprintf("Value (%s) for parameter %s is invalid. Expected a valid %s.", n.value, key, t.Kind)}
	}
	return nil
}

// decodeList reads the numbered children of n (1-based, in index order)
// into the slice v. "Name=" with no items is an empty list.
func decodeList(n *node, v reflect.Value, t *shape.Type, key string) error {
	if n.children == nil {
		if n.value != "" {
			return malformed("Expected a list for parameter %s, found a value", key)
		}
		v = shape.Alloc(v)
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return nil
	}
	idx, err := indexes(n, key)
	if err != nil {
		return err
	}
	v = shape.Alloc(v)
	s := reflect.MakeSlice(v.Type(), len(idx), len(idx))
	for i, ix := range idx {
		k := key + "." + ix.name
		if err := decodeValue(n.children[ix.name], s.Index(i), t.Elem, nil, shape.TimeDefault, k); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// decodeMap reads Name.N.key / Name.N.value pairs (the key and value
// names may be renamed by the member's tags).
func decodeMap(n *node, v reflect.Value, t *shape.Type, keyName, valueName, key string) error {
	v = shape.Alloc(v)
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	if n.children == nil {
		if n.value != "" {
			return malformed("Expected a map for parameter %s, found a value", key)
		}
		return nil
	}
	idx, err := indexes(n, key)
	if err != nil {
		return err
	}
	for _, ix := range idx {
		e := n.children[ix.name]
		k := key + "." + ix.name
		kn, vn := e.children[keyName], e.children[valueName]
		if kn == nil || kn.children != nil {
			return malformed("Expected a key for parameter %s", k)
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		if vn != nil {
			if err := decodeValue(vn, ev, t.Elem, nil, shape.TimeDefault, k+"."+valueName); err != nil {
				return err
			}
		}
		v.SetMapIndex(reflect.ValueOf(kn.value).Convert(v.Type().Key()), ev)
	}
	return nil
}

type index struct {
	n    int
	name string
}

// indexes returns the numbered children of n sorted by number; anything
// else under a list or map is malformed.
func indexes(n *node, key string) ([]index, error) {
	out := make([]index, 0, len(n.children))
	for name := range n.children {
		i, err := strconv.Atoi(name)
		if err != nil || i < 1 {
			return nil, malformed("Invalid index %q for parameter %s", name, key)
		}
		out = append(out, index{i, name})
	}
	slices.SortFunc(out, func(a, b index) int { return a.n - b.n })
	return out, nil
}
