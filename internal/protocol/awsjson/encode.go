// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// appendValue appends v as JSON. Absent members are omitted by the caller;
// a nil v here (a nil list item) is written as null.
func appendValue(b []byte, v reflect.Value, t *shape.Type, tf shape.TimeFormat) ([]byte, error) {
	v, ok := shape.Present(v)
	if !ok {
		return append(b, "null"...), nil
	}
	var err error
	switch t.Kind {
	case shape.Structure:
		return appendStruct(b, v, t)
	case shape.List:
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, v.Index(i), t.Elem, shape.TimeDefault); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case shape.Map:
		return appendMap(b, v, t)
	case shape.String:
		return appendString(b, v.String()), nil
	case shape.Integer:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case shape.Boolean:
		return strconv.AppendBool(b, v.Bool()), nil
	case shape.Float:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) { // they travel as strings
			b = append(b, '"')
			b = shape.AppendFloat(b, f, 64)
			return append(b, '"'), nil
		}
		return shape.AppendFloat(b, f, v.Type().Bits()), nil
	case shape.Timestamp:
		if tf = tf.Or(shape.UnixTimestamp); tf == shape.UnixTimestamp {
			return shape.AppendTime(b, shape.TimeOf(v), tf), nil
		}
		b = append(b, '"')
		b = shape.AppendTime(b, shape.TimeOf(v), tf)
		return append(b, '"'), nil
	case shape.Blob:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes())
		return append(b, '"'), nil
	case shape.Document:
		doc, err := json.Marshal(v.Interface())
		if err != nil {
			return b, fmt.Errorf("awsjson: encode document: %w", err)
		}
		return append(b, doc...), nil
	}
	return b, fmt.Errorf("awsjson: cannot encode %s as JSON", v.Type())
}

func appendStruct(b []byte, v reflect.Value, t *shape.Type) ([]byte, error) {
	b = append(b, '{')
	first := true
	var err error
	for _, m := range t.Members {
		if m.Location != shape.Body || m.Type.Kind == shape.Stream {
			continue
		}
		fv, ok := shape.Present(v.Field(m.Index))
		if !ok {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, m.Name)
		b = append(b, ':')
		if b, err = appendValue(b, fv, m.Type, m.Time); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendMap(b []byte, v reflect.Value, t *shape.Type) ([]byte, error) {
	keys := v.MapKeys()
	slices.SortFunc(keys, func(x, y reflect.Value) int {
		switch xs, ys := x.String(), y.String(); {
		case xs < ys:
			return -1
		case xs > ys:
			return 1
		}
		return 0
	})
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k.String())
		b = append(b, ':')
		if b, err = appendValue(b, v.MapIndex(k), t.Elem, shape.TimeDefault); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped so the output is also valid JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[last:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[last:i]...)
			b = append(b, `\ufffd`...)
			i += size
			last = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[last:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			last = i
			continue
		}
		i += size
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}
