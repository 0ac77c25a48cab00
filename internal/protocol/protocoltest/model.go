// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Shape is a shape of a model (api-2.json) or of a protocol test suite.
type Shape struct {
	Type            string          `json:"type"`
	Members         map[string]*Ref `json:"members"`
	Member          *Ref            `json:"member"`
	Key             *Ref            `json:"key"`
	Value           *Ref            `json:"value"`
	Payload         string          `json:"payload"`
	Required        []string        `json:"required"`
	LocationName    string          `json:"locationName"`
	Location        string          `json:"location"`
	XMLNamespace    *XMLNamespace   `json:"xmlNamespace"`
	Flattened       bool            `json:"flattened"`
	TimestampFormat string          `json:"timestampFormat"`
	Streaming       bool            `json:"streaming"`
	JSONValue       bool            `json:"jsonvalue"`
	Enum            []string        `json:"enum"`
	ResultWrapper   string          `json:"resultWrapper"`
}

// Ref is a reference to a shape: a member, list member, map key or value,
// or an operation's input or output.
type Ref struct {
	Shape            string        `json:"shape"`
	LocationName     string        `json:"locationName"`
	QueryName        string        `json:"queryName"`
	Location         string        `json:"location"`
	TimestampFormat  string        `json:"timestampFormat"`
	Flattened        bool          `json:"flattened"`
	XMLAttribute     bool          `json:"xmlAttribute"`
	XMLNamespace     *XMLNamespace `json:"xmlNamespace"`
	IdempotencyToken bool          `json:"idempotencyToken"`
	HostLabel        bool          `json:"hostLabel"`
	Streaming        bool          `json:"streaming"`
	JSONValue        bool          `json:"jsonvalue"`
	ResultWrapper    string        `json:"resultWrapper"`
}

// XMLNamespace is a model's xmlNamespace trait.
type XMLNamespace struct {
	Prefix string `json:"prefix"`
	URI    string `json:"uri"`
}

// maxRecursion is how many times one structure shape may appear on a path
// of nested members. reflect.StructOf cannot build recursive types, so
// recursive shapes are unrolled this deep; deeper members are left out.
const maxRecursion = 5

// Builder turns shapes into Go struct types at run time, with struct tags
// exactly as internal/awsapi documents them, the way tools/awsgen emits
// them for real services.
type Builder struct {
	Shapes map[string]*Shape
}

// Struct returns the struct type of the structure shape name, used as an
// operation's input or output through ref (which may name the root
// element and its namespace). An empty name gives a struct with only `_`.
func (b *Builder) Struct(name string, ref *Ref) reflect.Type {
	if name == "" {
		return reflect.StructOf([]reflect.StructField{blank(`type:"structure"`)})
	}
	return b.structType(name, ref, map[string]int{})
}

func (b *Builder) structType(name string, top *Ref, path map[string]int) reflect.Type {
	s := b.Shapes[name]
	path[name]++
	defer func() { path[name]-- }()

	var stag []string
	stag = append(stag, `type:"structure"`)
	if s.Payload != "" {
		stag = append(stag, `payload:"`+GoName(s.Payload)+`"`)
	}
	loc, ns := s.LocationName, s.XMLNamespace
	if top != nil {
		loc = first(top.LocationName, loc)
		if top.XMLNamespace != nil {
			ns = top.XMLNamespace
		}
	}
	if loc != "" {
		stag = append(stag, `locationName:"`+loc+`"`)
	}
	if ns != nil && ns.URI != "" {
		stag = append(stag, `xmlURI:"`+ns.URI+`"`)
	}
	fields := []reflect.StructField{blank(strings.Join(stag, " "))}
	for _, mname := range slices.Sorted(maps.Keys(s.Members)) {
		ref := s.Members[mname]
		if inner := b.innerStruct(ref.Shape); inner != "" && path[inner] >= maxRecursion {
			continue
		}
		fields = append(fields, reflect.StructField{
			Name: GoName(mname),
			Type: b.memberType(ref, path),
			Tag:  reflect.StructTag(b.tags(mname, ref, slices.Contains(s.Required, mname))),
		})
	}
	return reflect.StructOf(fields)
}

// innerStruct follows lists and maps from shape name to the structure
// they hold, if any.
func (b *Builder) innerStruct(name string) string {
	for range 8 {
		s := b.Shapes[name]
		switch s.Type {
		case "structure":
			return name
		case "list":
			name = s.Member.Shape
		case "map":
			name = s.Value.Shape
		default:
			return ""
		}
	}
	return ""
}

// memberType is the Go type of a structure member: pointers for scalars
// and structures, values for lists, maps, blobs and documents.
func (b *Builder) memberType(ref *Ref, path map[string]int) reflect.Type {
	s := b.Shapes[ref.Shape]
	if s.Type == "blob" && (s.Streaming || ref.Streaming) {
		return reflect.TypeFor[io.Reader]()
	}
	t := b.valueType(ref.Shape, path)
	switch s.Type {
	case "list", "map", "blob", "document":
		return t
	}
	return reflect.PointerTo(t)
}

// valueType is the Go type of a list item or map value.
func (b *Builder) valueType(name string, path map[string]int) reflect.Type {
	s := b.Shapes[name]
	switch s.Type {
	case "structure":
		return b.structType(name, nil, path)
	case "list":
		return reflect.SliceOf(b.valueType(s.Member.Shape, path))
	case "map":
		return reflect.MapOf(reflect.TypeFor[string](), b.valueType(s.Value.Shape, path))
	case "string", "character":
		return reflect.TypeFor[string]()
	case "integer":
		return reflect.TypeFor[int32]()
	case "long":
		return reflect.TypeFor[int64]()
	case "boolean":
		return reflect.TypeFor[bool]()
	case "double", "float":
		return reflect.TypeFor[float64]()
	case "timestamp":
		return reflect.TypeFor[time.Time]()
	case "blob":
		return reflect.TypeFor[[]byte]()
	}
	return reflect.TypeFor[any]() // document
}

// tags renders the member tags of the awsapi contract. Like the AWS SDK
// for Go v1 generator, attributes the reference leaves out fall back to
// the target shape's (locationName, location, flattened, namespace...).
func (b *Builder) tags(name string, ref *Ref, required bool) string {
	s := b.Shapes[ref.Shape]
	var t []string
	add := func(k, v string) {
		if v != "" {
			t = append(t, k+`:"`+v+`"`)
		}
	}
	add("location", first(ref.Location, s.Location))
	add("locationName", first(ref.LocationName, s.LocationName, name))
	add("queryName", ref.QueryName)
	if s.Type == "list" && s.Member != nil {
		add("locationNameList", s.Member.LocationName)
	}
	if s.Type == "map" {
		add("locationNameKey", s.Key.LocationName)
		add("locationNameValue", s.Value.LocationName)
	}
	typ := s.Type
	if typ == "character" {
		typ = "string"
	}
	add("type", typ)
	add("timestampFormat", first(ref.TimestampFormat, s.TimestampFormat))
	if ref.Flattened || s.Flattened {
		add("flattened", "true")
	}
	if ref.XMLAttribute {
		add("xmlAttribute", "true")
	}
	ns := ref.XMLNamespace
	if ns == nil {
		ns = s.XMLNamespace
	}
	if ns != nil {
		add("xmlPrefix", ns.Prefix)
		add("xmlURI", ns.URI)
	}
	if ref.JSONValue || s.JSONValue {
		add("jsonvalue", "true")
	}
	if s.Type == "blob" && (ref.Streaming || s.Streaming) {
		add("streaming", "true")
	}
	if required {
		add("required", "true")
	}
	if len(s.Enum) > 0 {
		add("enum", ref.Shape)
	}
	if ref.IdempotencyToken {
		add("idempotencyToken", "true")
	}
	if ref.HostLabel {
		add("hostLabel", "true")
	}
	return strings.Join(t, " ")
}

// GoName is the exported Go field name of a model member name.
func GoName(member string) string {
	r := []rune(member)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func blank(tag string) reflect.StructField {
	return reflect.StructField{Name: "_", PkgPath: "github.com/berthdev/berth/internal/protocol/protocoltest",
		Type: reflect.TypeFor[struct{}](), Tag: reflect.StructTag(tag)}
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
