// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package xmlbody

import (
	"reflect"
	"slices"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// AppendStruct appends the structure v (a struct or pointer to one) as the
// element name, declaring xmlns when it is not empty. Only body members are
// written; a nil v appends an empty element.
func AppendStruct(dst []byte, name, xmlns string, v reflect.Value) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	if xmlns != "" {
		dst = appendAttr(dst, "xmlns", xmlns)
	}
	v, ok := shape.Present(v)
	if !ok {
		return append(dst, "/>"...)
	}
	t := shape.Of(v.Type())
	dst = appendAttrs(dst, v, t)
	dst = append(dst, '>')
	dst = AppendMembers(dst, v)
	return appendEnd(dst, name)
}

// AppendMembers appends the body members of the structure v (a struct or
// pointer to one) without a wrapping element, in declaration order.
func AppendMembers(dst []byte, v reflect.Value) []byte {
	v, ok := shape.Present(v)
	if !ok {
		return dst
	}
	t := shape.Of(v.Type())
	for _, m := range t.Members {
		if m.Location != shape.Body || m.XMLAttribute {
			continue
		}
		dst = appendMember(dst, v.Field(m.Index), m)
	}
	return dst
}

func appendMember(dst []byte, fv reflect.Value, m *shape.Member) []byte {
	fv, ok := shape.Present(fv)
	if !ok {
		return dst
	}
	switch t := m.Type; {
	case t.Kind == shape.List && m.Flattened:
		for i := range fv.Len() {
			dst = appendValue(dst, fv.Index(i), t.Elem, m.ElemName(), m, shape.TimeDefault)
		}
		return dst
	case t.Kind == shape.List:
		dst = appendStart(dst, m.Name, m)
		dst = appendItems(dst, fv, t.Elem, m.Item)
		return appendEnd(dst, m.Name)
	case t.Kind == shape.Map && m.Flattened:
		return appendEntries(dst, fv, t.Elem, m.Name, m.Key, m.Value)
	case t.Kind == shape.Map:
		dst = appendStart(dst, m.Name, m)
		dst = appendEntries(dst, fv, t.Elem, "entry", m.Key, m.Value)
		return appendEnd(dst, m.Name)
	}
	return appendValue(dst, fv, m.Type, m.Name, m, m.Time)
}

// appendValue appends one element named name holding v. m, when not nil,
// is the member whose tags declare a namespace on the element.
func appendValue(dst []byte, v reflect.Value, t *shape.Type, name string, m *shape.Member, tf shape.TimeFormat) []byte {
	v, ok := shape.Present(v)
	if !ok {
		return dst
	}
	switch t.Kind {
	case shape.Structure:
		dst = append(dst, '<')
		dst = append(dst, name...)
		dst = appendNS(dst, m)
		dst = appendAttrs(dst, v, t)
		dst = append(dst, '>')
		dst = AppendMembers(dst, v)
		return appendEnd(dst, name)
	case shape.List:
		dst = appendStart(dst, name, m)
		dst = appendItems(dst, v, t.Elem, "member")
		return appendEnd(dst, name)
	case shape.Map:
		dst = appendStart(dst, name, m)
		dst = appendEntries(dst, v, t.Elem, "entry", "key", "value")
		return appendEnd(dst, name)
	case shape.Document, shape.Stream, shape.Invalid:
		return dst // not representable in XML bodies
	}
	dst = appendStart(dst, name, m)
	dst = appendText(dst, v, t.Kind, tf)
	return appendEnd(dst, name)
}

func appendItems(dst []byte, v reflect.Value, elem *shape.Type, item string) []byte {
	for i := range v.Len() {
		dst = appendValue(dst, v.Index(i), elem, item, nil, shape.TimeDefault)
	}
	return dst
}

// appendEntries writes one wrapper element per map entry, keys sorted so
// the output is deterministic.
func appendEntries(dst []byte, v reflect.Value, elem *shape.Type, wrapper, key, value string) []byte {
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		switch as, bs := a.String(), b.String(); {
		case as < bs:
			return -1
		case as > bs:
			return 1
		}
		return 0
	})
	for _, k := range keys {
		dst = appendStart(dst, wrapper, nil)
		dst = appendStart(dst, key, nil)
		dst = escape(dst, k.String(), false)
		dst = appendEnd(dst, key)
		dst = appendValue(dst, v.MapIndex(k), elem, value, nil, shape.TimeDefault)
		dst = appendEnd(dst, wrapper)
	}
	return dst
}

func appendAttrs(dst []byte, v reflect.Value, t *shape.Type) []byte {
	for _, a := range t.Attrs {
		fv, ok := shape.Present(v.Field(a.Index))
		if !ok || !a.Type.Kind.Scalar() {
			continue
		}
		dst = append(dst, ' ')
		dst = append(dst, a.Name...)
		dst = append(dst, `="`...)
		dst = escape(dst, string(shape.AppendText(nil, fv, a.Type.Kind, a.Time.Or(shape.ISO8601))), true)
		dst = append(dst, '"')
	}
	return dst
}

func appendStart(dst []byte, name string, m *shape.Member) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = appendNS(dst, m)
	return append(dst, '>')
}

func appendNS(dst []byte, m *shape.Member) []byte {
	if m == nil || m.XMLNS == "" {
		return dst
	}
	if m.XMLPrefix != "" {
		return appendAttr(dst, "xmlns:"+m.XMLPrefix, m.XMLNS)
	}
	return appendAttr(dst, "xmlns", m.XMLNS)
}

func appendAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = escape(dst, value, true)
	return append(dst, '"')
}

func appendEnd(dst []byte, name string) []byte {
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

func appendText(dst []byte, v reflect.Value, k shape.Kind, tf shape.TimeFormat) []byte {
	if k == shape.String {
		return escape(dst, v.String(), false)
	}
	return shape.AppendText(dst, v, k, tf.Or(shape.ISO8601)) // no markup characters
}

// AppendElement appends <name>text</name>, text escaped.
func AppendElement(dst []byte, name, text string) []byte {
	dst = appendStart(dst, name, nil)
	dst = escape(dst, text, false)
	return appendEnd(dst, name)
}

// Escape appends s as XML character data (attr: as an attribute value),
// replacing characters XML cannot carry with U+FFFD.
func Escape(dst []byte, s string, attr bool) []byte { return escape(dst, s, attr) }

func escape(dst []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < utf8.RuneSelf && !markup[c] {
			i++ // printable ASCII that needs no escape: the common case
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '"' && attr:
			esc = "&quot;"
		case r == '\r':
			esc = "&#xD;"
		case r == '\n' && attr:
			esc = "&#xA;"
		case r == '\t' && attr:
			esc = "&#x9;"
		case !validChar(r, width):
			esc = "\uFFFD"
		default:
			i += width
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		i += width
		last = i
	}
	return append(dst, s[last:]...)
}

// markup marks the printable ASCII characters escape may replace.
var markup = [utf8.RuneSelf]bool{'&': true, '<': true, '>': true, '"': true}

func validChar(r rune, width int) bool {
	if r == utf8.RuneError && width == 1 {
		return false
	}
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
