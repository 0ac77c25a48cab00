// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape

import (
	"io"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Kind is the wire kind of a Go type, derived from the Go type itself (the
// awsapi contract maps every model type to exactly one Go type).
type Kind uint8

// The kinds a generated member can have.
const (
	Invalid   Kind = iota
	String         // string (also the model's "character")
	Integer        // int32 / int64
	Boolean        // bool
	Float          // float64 / float32
	Timestamp      // time.Time
	Blob           // []byte
	Stream         // io.Reader: a streaming blob payload
	List           // []E
	Map            // map[string]V
	Structure      // a struct with a `_ struct{}` first field
	Document       // any
)

var kindNames = [...]string{"invalid", "string", "integer", "boolean", "float",
	"timestamp", "blob", "stream", "list", "map", "structure", "document"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Scalar reports whether values of kind k are written as one text value.
func (k Kind) Scalar() bool { return k >= String && k <= Blob }

// Location says where a member is bound in an HTTP message.
type Location uint8

// The member locations of the rest protocols; everything else is Body.
const (
	Body Location = iota
	URI
	Query
	Header
	Headers // a map bound to every header starting with the member's name
	StatusCode
)

var locations = map[string]Location{"": Body, "uri": URI, "querystring": Query,
	"header": Header, "headers": Headers, "statusCode": StatusCode}

// Type describes how one Go type travels on the wire. Types are shared and
// immutable once returned by Of.
type Type struct {
	Kind Kind
	// Go is the Go type as declared, possibly a pointer; Base is Go with one
	// pointer level removed.
	Go, Base reflect.Type
	// Elem is the item type of a List and the value type of a Map.
	Elem *Type

	// *Fields describes a Structure (nil otherwise). A struct type and
	// pointers to it share one *Fields.
	*Fields
}

// Fields describes the members of a structure.
type Fields struct {
	// Members are the fields in declaration order, `_` excluded.
	Members []*Member
	// Payload is the member named by the `payload` tag, or nil.
	Payload *Member
	// Name and XMLNS come from the `_` field's locationName and xmlURI tags:
	// the root element name and namespace of a restXml body.
	Name, XMLNS string
	// Attrs are the members serialized as XML attributes.
	Attrs []*Member

	byName map[string]*Member // body members by wire name
	byElem map[string]*Member // body members by XML element name
}

// Member is one field of a structure.
type Member struct {
	Field string // Go field name
	Index int    // field index in the struct
	Type  *Type
	// Name is the wire name: JSON key, query key, XML element, URI label,
	// query parameter, header name or header prefix.
	Name     string
	Location Location
	// Time is the explicit timestampFormat, or TimeDefault.
	Time TimeFormat
	// Flattened lists and maps repeat their items without a wrapper.
	Flattened bool
	// Item, Key and Value name list items and map entries; they default to
	// "member", "key" and "value".
	Item, Key, Value string
	// XMLAttribute members are attributes of their parent's element; XMLNS
	// (with XMLPrefix) declares a namespace on the member's element.
	XMLAttribute     bool
	XMLPrefix, XMLNS string
	JSONValue        bool
	Streaming        bool
	Required         bool
	IdempotencyToken bool
	HostLabel        bool

	namedItem bool   // locationNameList was given
	pathName  string // Name with a lower-case first letter, for Missing
}

// ElemName returns the XML element name (and the query key) the member's
// values appear under: flattened lists use their item name when the model
// gives one, everything else uses Name.
func (m *Member) ElemName() string {
	if m.Flattened && m.Type.Kind == List && m.namedItem {
		return m.Item
	}
	return m.Name
}

// Member returns the body member whose wire name is name, or nil.
func (f *Fields) Member(name string) *Member { return f.byName[name] }

// MemberBytes is Member for a name held in a byte slice; it does not
// allocate.
func (f *Fields) MemberBytes(name []byte) *Member { return f.byName[string(name)] }

// ElemMember returns the body member bound to XML element name, or nil.
func (f *Fields) ElemMember(name string) *Member { return f.byElem[name] }

// HasBody reports whether a structure has members bound to the body.
func (f *Fields) HasBody() bool { return len(f.byName) > 0 }

var (
	cache    sync.Map // reflect.Type → *Type
	buildMu  sync.Mutex
	readerIf = reflect.TypeFor[io.Reader]()
	timeType = reflect.TypeFor[time.Time]()
	byteType = reflect.TypeFor[byte]()
)

// Of returns the description of t, building and caching it on first use.
// It is safe for concurrent use. Types the contract does not cover get Kind
// Invalid; codecs report them as internal errors.
func Of(t reflect.Type) *Type {
	if v, ok := cache.Load(t); ok {
		return v.(*Type)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	b := builder{seen: map[reflect.Type]*Type{}, fields: map[reflect.Type]*Fields{}}
	st := b.build(t)
	for rt, d := range b.seen { // publish only complete descriptions
		cache.LoadOrStore(rt, d)
	}
	v, _ := cache.Load(t)
	if v == nil {
		return st
	}
	return v.(*Type)
}

type builder struct {
	seen   map[reflect.Type]*Type
	fields map[reflect.Type]*Fields // by struct type, shared with pointers
}

func (b *builder) build(t reflect.Type) *Type {
	if v, ok := cache.Load(t); ok {
		return v.(*Type)
	}
	if d, ok := b.seen[t]; ok {
		return d
	}
	d := &Type{Go: t, Base: t}
	b.seen[t] = d
	if t.Kind() == reflect.Pointer {
		d.Base = t.Elem()
	}
	base := d.Base
	switch {
	case base == timeType:
		d.Kind = Timestamp
	case base.Kind() == reflect.String:
		d.Kind = String
	case base.Kind() == reflect.Bool:
		d.Kind = Boolean
	case base.Kind() >= reflect.Int && base.Kind() <= reflect.Int64:
		d.Kind = Integer
	case base.Kind() == reflect.Float32 || base.Kind() == reflect.Float64:
		d.Kind = Float
	case base.Kind() == reflect.Slice && base.Elem() == byteType:
		d.Kind = Blob
	case base.Kind() == reflect.Slice:
		d.Kind = List
		d.Elem = b.build(base.Elem())
	case base.Kind() == reflect.Map && base.Key().Kind() == reflect.String:
		d.Kind = Map
		d.Elem = b.build(base.Elem())
	case base.Kind() == reflect.Interface && base.NumMethod() == 0:
		d.Kind = Document
	case base.Kind() == reflect.Interface && base.Implements(readerIf):
		d.Kind = Stream
	case base.Kind() == reflect.Struct:
		d.Kind = Structure
		d.Fields = b.structFields(base)
	}
	return d
}

func (b *builder) structFields(t reflect.Type) *Fields {
	if v, ok := cache.Load(t); ok {
		return v.(*Type).Fields
	}
	if f, ok := b.fields[t]; ok {
		return f
	}
	f := &Fields{}
	b.fields[t] = f
	b.structure(f, t)
	return f
}

func (b *builder) structure(d *Fields, t reflect.Type) {
	d.byName = map[string]*Member{}
	d.byElem = map[string]*Member{}
	var payload string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			payload = f.Tag.Get("payload")
			d.Name = f.Tag.Get("locationName")
			d.XMLNS = f.Tag.Get("xmlURI")
			continue
		}
		if !f.IsExported() {
			continue
		}
		m := member(f)
		m.Type = b.build(f.Type)
		m.Streaming = m.Type.Kind == Stream
		d.Members = append(d.Members, m)
		if m.Location != Body {
			continue
		}
		if m.XMLAttribute {
			d.Attrs = append(d.Attrs, m)
			continue
		}
		d.byName[m.Name] = m
		d.byElem[m.ElemName()] = m
	}
	for _, m := range d.Members {
		if m.Field == payload {
			d.Payload = m
		}
	}
}

func member(f reflect.StructField) *Member {
	tag := f.Tag
	m := &Member{
		Field:            f.Name,
		Index:            f.Index[0],
		Name:             tag.Get("locationName"),
		Location:         locations[tag.Get("location")],
		Time:             timeFormats[tag.Get("timestampFormat")],
		Flattened:        tag.Get("flattened") == "true",
		Item:             or(tag.Get("locationNameList"), "member"),
		Key:              or(tag.Get("locationNameKey"), "key"),
		Value:            or(tag.Get("locationNameValue"), "value"),
		XMLAttribute:     tag.Get("xmlAttribute") == "true",
		XMLPrefix:        tag.Get("xmlPrefix"),
		XMLNS:            tag.Get("xmlURI"),
		JSONValue:        tag.Get("jsonvalue") == "true",
		Required:         tag.Get("required") == "true",
		IdempotencyToken: tag.Get("idempotencyToken") == "true",
		HostLabel:        tag.Get("hostLabel") == "true",
		namedItem:        tag.Get("locationNameList") != "",
	}
	if m.Name == "" {
		m.Name = f.Name
	}
	m.pathName = lowerFirst(m.Name)
	return m
}

// AttrName returns the local part of an XML attribute member's name
// ("xsi:type" → "type"), which is how a namespace-aware decoder sees it.
func (m *Member) AttrName() string {
	if i := strings.IndexByte(m.Name, ':'); i >= 0 {
		return m.Name[i+1:]
	}
	return m.Name
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
