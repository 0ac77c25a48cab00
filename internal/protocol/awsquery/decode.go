// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// node is one dotted segment of the flat query keys:
// "Tags.member.1.Key=k" becomes Tags → member → 1 → Key(value "k").
type node struct {
	value    string
	hasValue bool
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
			n.value, n.hasValue = vals[0], true
		}
	}
	return root
}

// fault is a client error found while decoding: code is MalformedInput for
// a key structure that does not fit the shape, InvalidParameterValue for a
// value that does not parse.
type fault struct {
	code string
	msg  string
}

func (f *fault) Error() string { return f.code + ": " + f.msg }

func malformed(format string, args ...any) error {
	return &fault{code: "MalformedInput", msg: fmt.Sprintf(format, args...)}
}

func decodeStruct(n *node, v reflect.Value, t *shape.Type, prefix string) error {
	for _, m := range t.Members {
		if m.Location != shape.Body {
			continue
		}
		name := m.ElemName()
		c := n.children[name]
		if c == nil {
			continue
		}
		if err := decodeMember(c, v.Field(m.Index), m, prefix+name); err != nil {
			return err
		}
	}
	return nil
}

func decodeMember(n *node, fv reflect.Value, m *shape.Member, key string) error {
	switch m.Type.Kind {
	case shape.List:
		items := n
		if !m.Flattened {
			items = container(n, m.Item)
			key += "." + m.Item
		}
		return decodeList(n, items, fv, m.Type, key)
	case shape.Map:
		entries := n
		if !m.Flattened {
			entries = container(n, "entry")
			key += ".entry"
		}
		return decodeMap(n, entries, fv, m.Type, m.Key, m.Value, key)
	}
	return decodeValue(n, fv, m.Type, m.Time, key)
}

// container returns the child holding a list's items or a map's entries.
// Clients that leave out the "member"/"entry" segment are tolerated.
func container(n *node, name string) *node {
	if c := n.children[name]; c != nil {
		return c
	}
	return n
}

func decodeValue(n *node, v reflect.Value, t *shape.Type, tf shape.TimeFormat, key string) error {
	switch t.Kind {
	case shape.Structure:
		if n.children == nil && n.value != "" {
			return malformed("Expected a structure for parameter %s, found a value", key)
		}
		return decodeStruct(n, shape.Alloc(v), t, key+".")
	case shape.List:
		return decodeList(n, container(n, "member"), v, t, key+".member")
	case shape.Map:
		return decodeMap(n, container(n, "entry"), v, t, "key", "value", key+".entry")
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

// decodeList reads the numbered children of items (1-based, in index
// order) into the slice v. "Name=" with no items is an empty list.
func decodeList(n, items *node, v reflect.Value, t *shape.Type, key string) error {
	if n.children == nil {
		if n.value != "" {
			return malformed("Expected a list for parameter %s, found a value", key)
		}
		v = shape.Alloc(v)
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return nil
	}
	idx, err := indexes(items, key)
	if err != nil {
		return err
	}
	v = shape.Alloc(v)
	s := reflect.MakeSlice(v.Type(), len(idx), len(idx))
	for i, ix := range idx {
		k := key + "." + ix.name
		if err := decodeValue(items.children[ix.name], s.Index(i), t.Elem, shape.TimeDefault, k); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func decodeMap(n, entries *node, v reflect.Value, t *shape.Type, keyName, valueName, key string) error {
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
	idx, err := indexes(entries, key)
	if err != nil {
		return err
	}
	for _, ix := range idx {
		e := entries.children[ix.name]
		k := key + "." + ix.name
		kn, vn := e.children[keyName], e.children[valueName]
		if kn == nil || kn.children != nil {
			return malformed("Expected a key for parameter %s", k)
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		if vn != nil {
			if err := decodeValue(vn, ev, t.Elem, shape.TimeDefault, k+"."+valueName); err != nil {
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
