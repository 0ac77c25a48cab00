// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// maxDepth bounds nesting so a hostile body cannot exhaust the stack.
const maxDepth = 512

// decodeError is a client fault found while decoding; path is collected in
// reverse while the recursion unwinds.
type decodeError struct {
	msg  string
	path []string
}

func (e *decodeError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	p := make([]string, len(e.path))
	for i, s := range e.path {
		p[len(p)-1-i] = s
	}
	return e.msg + " at '" + strings.Join(p, ".") + "'"
}

func at(err error, name string) error {
	if err == nil {
		return nil
	}
	var de *decodeError
	if errors.As(err, &de) {
		de.path = append(de.path, name)
	}
	return err
}

// decoder is a minimal JSON reader over a byte slice that decodes straight
// into tagged structs without building an intermediate tree.
type decoder struct {
	data  []byte
	pos   int
	depth int
}

// decodeBody decodes data (an object, or nothing at all) into the struct v.
func decodeBody(data []byte, v reflect.Value) error {
	d := decoder{data: data}
	if d.peek(); d.pos == len(d.data) {
		return nil // an empty body is {}
	}
	t := shape.Of(v.Type())
	if d.peek() != '{' {
		return d.mismatch("structure")
	}
	if err := d.value(v, t, shape.TimeDefault); err != nil {
		return err
	}
	if d.peek(); d.pos != len(d.data) {
		return d.syntax("unexpected data after the top-level object")
	}
	return nil
}

func (d *decoder) value(v reflect.Value, t *shape.Type, tf shape.TimeFormat) error {
	c := d.peek()
	if c == 'n' {
		return d.literal("null") // null is an absent member
	}
	switch t.Kind {
	case shape.Structure:
		return d.structure(shape.Alloc(v), t)
	case shape.List:
		return d.list(shape.Alloc(v), t)
	case shape.Map:
		return d.mapping(shape.Alloc(v), t)
	case shape.Document:
		start := d.pos
		if err := d.skip(); err != nil {
			return err
		}
		var doc any
		if err := json.Unmarshal(d.data[start:d.pos], &doc); err != nil {
			return d.syntax("malformed document")
		}
		if doc != nil {
			v.Set(reflect.ValueOf(doc))
		}
		return nil
	case shape.Stream, shape.Invalid:
		return d.skip()
	}
	return d.scalar(v, t.Kind, tf)
}

func (d *decoder) structure(v reflect.Value, t *shape.Type) error {
	if d.peek() != '{' {
		return d.mismatch("structure")
	}
	return d.object(func(key []byte) error {
		m := t.MemberBytes(key)
		if m == nil || m.Location != shape.Body {
			return d.skip() // unknown members are ignored
		}
		return at(d.value(v.Field(m.Index), m.Type, m.Time), m.Name)
	})
}

func (d *decoder) list(v reflect.Value, t *shape.Type) error {
	if d.peek() != '[' {
		return d.mismatch("list")
	}
	v.Set(reflect.MakeSlice(v.Type(), 0, 4)) // a repeated member replaces the list
	d.pos++
	if err := d.enter(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		if d.peek() == ']' && i == 0 {
			d.pos++
			break
		}
		n := v.Len()
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		if err := d.value(v.Index(n), t.Elem, shape.TimeDefault); err != nil {
			return at(err, strconv.Itoa(i+1))
		}
		if done, err := d.next(']'); err != nil || done {
			if err != nil {
				return err
			}
			break
		}
	}
	d.depth--
	return nil
}

func (d *decoder) mapping(v reflect.Value, t *shape.Type) error {
	if d.peek() != '{' {
		return d.mismatch("map")
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	et := v.Type().Elem()
	return d.object(func(key []byte) error {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		k := string(key)
		ev := reflect.New(et).Elem()
		if err := d.value(ev, t.Elem, shape.TimeDefault); err != nil {
			return at(err, k)
		}
		v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), ev)
		return nil
	})
}

// object iterates the members of the object at the cursor, calling fn with
// each key (valid only during the call) positioned at the member's value.
func (d *decoder) object(fn func(key []byte) error) error {
	d.pos++ // '{'
	if err := d.enter(); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("expected a member name")
		}
		key, err := d.rawString()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntax("expected ':' after a member name")
		}
		d.pos++
		if err := fn(key); err != nil {
			return err
		}
		done, err := d.next('}')
		if err != nil {
			return err
		}
		if done {
			d.depth--
			return nil
		}
	}
}

// next consumes ',' (false) or the closing byte (true).
func (d *decoder) next(closing byte) (bool, error) {
	switch d.peek() {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, d.syntax("expected ',' or '" + string(closing) + "'")
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.syntax("nesting too deep")
	}
	return nil
}

func (d *decoder) scalar(v reflect.Value, k shape.Kind, tf shape.TimeFormat) error {
	c := d.peek()
	switch k {
	case shape.String, shape.Blob:
		if c != '"' {
			return d.mismatch(k.String())
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		if k == shape.String {
			shape.Alloc(v).SetString(s)
			return nil
		}
		return d.set(v, k, s, tf)
	case shape.Boolean:
		switch c {
		case 't':
			shape.Alloc(v).SetBool(true)
			return d.literal("true")
		case 'f':
			shape.Alloc(v).SetBool(false)
			return d.literal("false")
		}
		return d.mismatch("boolean")
	case shape.Integer, shape.Float:
		if c == '"' && k == shape.Float { // "NaN", "Infinity", "-Infinity"
			s, err := d.str()
			if err != nil {
				return err
			}
			return d.set(v, k, s, tf)
		}
		num, err := d.number()
		if err != nil {
			return err
		}
		return d.set(v, k, num, tf)
	case shape.Timestamp:
		if tf.Or(shape.UnixTimestamp) == shape.UnixTimestamp {
			num, err := d.number()
			if err != nil {
				return err
			}
			return d.set(v, k, num, shape.UnixTimestamp)
		}
		if c != '"' {
			return d.mismatch("timestamp string")
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		return d.set(v, k, s, tf)
	}
	return d.skip()
}

func (d *decoder) set(v reflect.Value, k shape.Kind, s string, tf shape.TimeFormat) error {
	if err := shape.SetText(shape.Alloc(v), k, s, tf); err != nil {
		return &decodeError{msg: fmt.Sprintf("invalid %s value", k)}
	}
	return nil
}

func (d *decoder) mismatch(want string) error {
	found := "value"
	switch d.peek() {
	case '{':
		found = "structure or map"
	case '[':
		found = "list"
	case '"':
		found = "string"
	case 't', 'f':
		found = "boolean"
	case 0:
		found = "end of input"
	default:
		found = "number"
	}
	return &decodeError{msg: fmt.Sprintf("expected a %s, found a %s", want, found)}
}

func (d *decoder) syntax(msg string) error {
	return &decodeError{msg: fmt.Sprintf("malformed JSON at offset %d: %s", d.pos, msg)}
}
