// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package querycore

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
// "Tags.member.1.Key=k" becomes Tags → member → 1 → Key (value "k").
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

// fault is a client error found while decoding: code is the dialect's
// Malformed code for a key structure that does not fit the shape,
// InvalidParameterValue for a value that does not parse.
type fault struct {
	code string
	msg  string
}

func (f *fault) Error() string { return f.code + ": " + f.msg }

func (d *Decoder) malformed(format string, args ...any) error {
	return &fault{code: d.dialect.Malformed, msg: fmt.Sprintf(format, args...)}
}

// memberKeys returns the query keys of t's members (indexed like
// t.Members), computed once per struct type.
func (d *Decoder) memberKeys(t *shape.Type) []string {
	if k, ok := d.keys.Load(t.Base); ok {
		return k.([]string)
	}
	keys := make([]string, len(t.Members))
	for i, m := range t.Members {
		keys[i] = d.dialect.Key(m, t.Base.Field(m.Index).Tag)
	}
	k, _ := d.keys.LoadOrStore(t.Base, keys)
	return k.([]string)
}

func (d *Decoder) decodeStruct(n *node, v reflect.Value, t *shape.Type, prefix string) error {
	keys := d.memberKeys(t)
	for i, m := range t.Members {
		if m.Location != shape.Body {
			continue
		}
		c := n.children[keys[i]]
		if c == nil {
			continue
		}
		if err := d.decodeMember(c, v.Field(m.Index), m, prefix+keys[i]); err != nil {
			return err
		}
	}
	return nil
}

// decodeMember decodes a structure member: its lists and maps take their
// wrapper and entry names from m, where list items and map values use the
// defaults (decodeValue).
func (d *Decoder) decodeMember(n *node, fv reflect.Value, m *shape.Member, key string) error {
	wrapped := d.dialect.Wrapped && !m.Flattened
	switch m.Type.Kind {
	case shape.List:
		items := n
		if wrapped {
			items = container(n, m.Item)
			key += "." + m.Item
		}
		return d.decodeList(n, items, fv, m.Type, key)
	case shape.Map:
		entries := n
		if wrapped {
			entries = container(n, "entry")
			key += ".entry"
		}
		return d.decodeMap(n, entries, fv, m.Type, m.Key, m.Value, key)
	}
	return d.decodeValue(n, fv, m.Type, m.Time, key)
}

// container returns the child holding a list's items or a map's entries.
// Clients that leave out the "member"/"entry" segment are tolerated.
func container(n *node, name string) *node {
	if c := n.children[name]; c != nil {
		return c
	}
	return n
}

func (d *Decoder) decodeValue(n *node, v reflect.Value, t *shape.Type, tf shape.TimeFormat, key string) error {
	switch t.Kind {
	case shape.Structure:
		if n.children == nil && n.value != "" {
			return d.malformed("Expected a structure for parameter %s, found a value", key)
		}
		return d.decodeStruct(n, shape.Alloc(v), t, key+".")
	case shape.List:
		items := n
		if d.dialect.Wrapped {
			items = container(n, "member")
			key += ".member"
		}
		return d.decodeList(n, items, v, t, key)
	case shape.Map:
		entries := n
		if d.dialect.Wrapped {
			entries = container(n, "entry")
			key += ".entry"
		}
		return d.decodeMap(n, entries, v, t, "key", "value", key)
	case shape.Document, shape.Stream, shape.Invalid:
		return nil
	}
	if n.children != nil {
		return d.malformed("Unexpected complex element for parameter %s", key)
	}
	if err := shape.SetText(shape.Alloc(v), t.Kind, n.value, tf.Or(shape.ISO8601)); err != nil {
		return &fault{code: "InvalidParameterValue",
			msg: fmt.Sprintf("Value (%s) for parameter %s is invalid. Expected a valid %s.", n.value, key, t.Kind)}
	}
	return nil
}

// decodeList reads the numbered children of items (1-based, in index
// order) into the slice v. "Name=" with no items is an empty list.
func (d *Decoder) decodeList(n, items *node, v reflect.Value, t *shape.Type, key string) error {
	if n.children == nil {
		if n.value != "" {
			return d.malformed("Expected a list for parameter %s, found a value", key)
		}
		v = shape.Alloc(v)
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return nil
	}
	idx, err := d.indexes(items, key)
	if err != nil {
		return err
	}
	v = shape.Alloc(v)
	s := reflect.MakeSlice(v.Type(), len(idx), len(idx))
	for i, ix := range idx {
		k := key + "." + ix.name
		if err := d.decodeValue(items.children[ix.name], s.Index(i), t.Elem, shape.TimeDefault, k); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// decodeMap reads the numbered entries of entries, each a keyName and a
// valueName child, into the map v.
func (d *Decoder) decodeMap(n, entries *node, v reflect.Value, t *shape.Type, keyName, valueName, key string) error {
	v = shape.Alloc(v)
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	if n.children == nil {
		if n.value != "" {
			return d.malformed("Expected a map for parameter %s, found a value", key)
		}
		return nil
	}
	idx, err := d.indexes(entries, key)
	if err != nil {
		return err
	}
	for _, ix := range idx {
		e := entries.children[ix.name]
		k := key + "." + ix.name
		kn, vn := e.children[keyName], e.children[valueName]
		if kn == nil || kn.children != nil {
			return d.malformed("Expected a key for parameter %s", k)
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		if vn != nil {
			if err := d.decodeValue(vn, ev, t.Elem, shape.TimeDefault, k+"."+valueName); err != nil {
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
func (d *Decoder) indexes(n *node, key string) ([]index, error) {
	out := make([]index, 0, len(n.children))
	for name := range n.children {
		i, err := strconv.Atoi(name)
		if err != nil || i < 1 {
			return nil, d.malformed("Invalid index %q for parameter %s", name, key)
		}
		out = append(out, index{i, name})
	}
	slices.SortFunc(out, func(a, b index) int { return a.n - b.n })
	return out, nil
}
