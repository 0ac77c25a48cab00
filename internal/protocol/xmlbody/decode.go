// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package xmlbody

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/berthdev/berth/internal/protocol/shape"
)

// ErrEmpty is returned by Decode for a body without a root element.
var ErrEmpty = errors.New("xmlbody: empty document")

// SyntaxError reports a document that is not well-formed XML or whose
// structure does not fit the target type (text where elements belong).
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "xmlbody: malformed XML: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// ValueError reports a scalar whose text does not parse as its member's
// kind, e.g. "abc" for an integer. Path names the element.
type ValueError struct {
	Path string
	Err  error
}

func (e *ValueError) Error() string { return fmt.Sprintf("xmlbody: at %s: %v", e.Path, e.Err) }
func (e *ValueError) Unwrap() error { return e.Err }

// Decode reads one XML document from r into the structure v (a settable
// struct or pointer to one). The root element's name is not checked; its
// attributes and children are matched to v's members. An empty document
// returns ErrEmpty and leaves v untouched.
func Decode(r io.Reader, v reflect.Value) error {
	d := xml.NewDecoder(r)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return ErrEmpty
		}
		if err != nil {
			return &SyntaxError{err}
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if err := DecodeElement(d, tok, v); err != nil {
				return err
			}
			return trailing(d)
		case xml.CharData:
			if len(strings.TrimSpace(string(tok))) > 0 {
				return &SyntaxError{errors.New("text outside the root element")}
			}
		}
	}
}

func trailing(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &SyntaxError{err}
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			return &SyntaxError{errors.New("more than one root element")}
		case xml.CharData:
			if len(strings.TrimSpace(string(tok))) > 0 {
				return &SyntaxError{errors.New("text after the root element")}
			}
		}
	}
}

// DecodeElement reads the element opened by start (already consumed from
// d) into v, a settable value of any contract type.
func DecodeElement(d *xml.Decoder, start xml.StartElement, v reflect.Value) error {
	return decodeValue(d, start, v, shape.Of(v.Type()), "member", "key", "value", shape.TimeDefault, start.Name.Local)
}

// decodeValue reads the element start into v. item/key/value name the
// children of list and map containers, tf the timestamp format.
func decodeValue(d *xml.Decoder, start xml.StartElement, v reflect.Value, t *shape.Type,
	item, key, value string, tf shape.TimeFormat, path string) error {
	switch t.Kind {
	case shape.Structure:
		return decodeStruct(d, start, shape.Alloc(v), t, path)
	case shape.List:
		base := shape.Alloc(v)
		if base.IsNil() {
			base.Set(reflect.MakeSlice(base.Type(), 0, 0))
		}
		return eachChild(d, func(se xml.StartElement) error {
			return appendItem(d, se, base, t.Elem, path+"/"+se.Name.Local)
		})
	case shape.Map:
		m := allocMap(v)
		return eachChild(d, func(se xml.StartElement) error {
			return decodeEntry(d, m, t.Elem, key, value, path+"/"+se.Name.Local)
		})
	case shape.Document, shape.Stream, shape.Invalid:
		return d.Skip()
	}
	text, err := readText(d)
	if err != nil {
		return err
	}
	if text == "" && t.Kind != shape.String && t.Kind != shape.Blob {
		return nil // an empty number, boolean or timestamp is absent
	}
	if err := shape.SetText(shape.Alloc(v), t.Kind, text, tf); err != nil {
		return &ValueError{Path: path, Err: err}
	}
	return nil
}

func decodeStruct(d *xml.Decoder, start xml.StartElement, v reflect.Value, t *shape.Type, path string) error {
	for _, a := range t.Attrs {
		for _, attr := range start.Attr {
			if attr.Name.Local != a.AttrName() || attr.Name.Space == "xmlns" {
				continue
			}
			if err := shape.SetText(shape.Alloc(v.Field(a.Index)), a.Type.Kind, attr.Value, a.Time); err != nil {
				return &ValueError{Path: path + "/@" + a.Name, Err: err}
			}
		}
	}
	return eachChild(d, func(se xml.StartElement) error {
		m := t.ElemMember(se.Name.Local)
		if m == nil {
			return d.Skip()
		}
		return decodeMember(d, se, v.Field(m.Index), m, path+"/"+se.Name.Local)
	})
}

func decodeMember(d *xml.Decoder, se xml.StartElement, fv reflect.Value, m *shape.Member, path string) error {
	switch t := m.Type; {
	case t.Kind == shape.List && m.Flattened:
		return appendItem(d, se, shape.Alloc(fv), t.Elem, path)
	case t.Kind == shape.List:
		base := shape.Alloc(fv)
		if base.IsNil() {
			base.Set(reflect.MakeSlice(base.Type(), 0, 0))
		}
		return eachChild(d, func(item xml.StartElement) error {
			return appendItem(d, item, base, t.Elem, path+"/"+item.Name.Local)
		})
	case t.Kind == shape.Map && m.Flattened:
		return decodeEntry(d, allocMap(fv), t.Elem, m.Key, m.Value, path)
	case t.Kind == shape.Map:
		mv := allocMap(fv)
		return eachChild(d, func(se xml.StartElement) error {
			return decodeEntry(d, mv, t.Elem, m.Key, m.Value, path+"/"+se.Name.Local)
		})
	}
	return decodeValue(d, se, fv, m.Type, m.Item, m.Key, m.Value, m.Time, path)
}

// appendItem decodes the element se as one more item of the slice s.
func appendItem(d *xml.Decoder, se xml.StartElement, s reflect.Value, elem *shape.Type, path string) error {
	item := reflect.New(s.Type().Elem()).Elem()
	if err := decodeValue(d, se, item, elem, "member", "key", "value", shape.TimeDefault, path); err != nil {
		return err
	}
	s.Set(reflect.Append(s, item))
	return nil
}

// decodeEntry reads the key and value children of the current element
// (an <entry>, or a flattened map's repeated element) into m.
func decodeEntry(d *xml.Decoder, m reflect.Value, elem *shape.Type, key, value, path string) error {
	var k string
	var haveKey bool
	val := reflect.New(m.Type().Elem()).Elem()
	err := eachChild(d, func(se xml.StartElement) error {
		switch se.Name.Local {
		case key:
			text, err := readText(d)
			k, haveKey = text, true
			return err
		case value:
			return decodeValue(d, se, val, elem, "member", "key", "value", shape.TimeDefault, path+"/"+value)
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	if !haveKey {
		return &SyntaxError{fmt.Errorf("map entry at %s has no <%s>", path, key)}
	}
	m.SetMapIndex(reflect.ValueOf(k).Convert(m.Type().Key()), val)
	return nil
}

func allocMap(v reflect.Value) reflect.Value {
	v = shape.Alloc(v)
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	return v
}

// eachChild calls fn for every child element of the current element until
// its end; fn must consume the child through its end element.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return &SyntaxError{noEOF(err)}
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if err := fn(tok); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// readText returns the character data of the current element up to its
// end; child elements there are a structural error.
func readText(d *xml.Decoder) (string, error) {
	var buf []byte
	for {
		tok, err := d.Token()
		if err != nil {
			return "", &SyntaxError{noEOF(err)}
		}
		switch tok := tok.(type) {
		case xml.CharData:
			buf = append(buf, tok...)
		case xml.StartElement:
			return "", &SyntaxError{fmt.Errorf("unexpected element <%s> in a value", tok.Name.Local)}
		case xml.EndElement:
			return string(buf), nil
		}
	}
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
