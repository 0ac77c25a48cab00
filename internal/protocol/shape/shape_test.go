// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape_test

import (
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/protocol/shape"
)

type node struct {
	_        struct{}          `type:"structure" payload:"Children" locationName:"Node" xmlURI:"urn:x"`
	Name     *string           `locationName:"name" type:"string" required:"true"`
	Next     *node             `locationName:"next" type:"structure"`
	Children []node            `locationName:"children" type:"list" locationNameList:"child" flattened:"true"`
	Attrs    map[string]*node  `locationName:"attrs" type:"map" locationNameKey:"k" locationNameValue:"v"`
	When     *time.Time        `location:"header" locationName:"x-when" type:"timestamp" timestampFormat:"unixTimestamp"`
	Meta     map[string]string `location:"headers" locationName:"x-meta-" type:"map"`
	Kind     *string           `locationName:"xsi:type" type:"string" xmlAttribute:"true"`
	Body     io.Reader         `locationName:"Body" type:"blob" streaming:"true"`
	Doc      any               `locationName:"doc" type:"document"`
	Raw      []byte            `locationName:"raw" type:"blob"`
	Count    *int64            `location:"querystring" locationName:"count" type:"long"`
	Status   *int32            `location:"statusCode" type:"integer"`
	hidden   int
}

func TestOf_Contract(t *testing.T) {
	typ := shape.Of(reflect.TypeFor[node]())
	if typ.Kind != shape.Structure || typ.Name != "Node" || typ.XMLNS != "urn:x" {
		t.Fatalf("struct tags: kind %s name %q ns %q", typ.Kind, typ.Name, typ.XMLNS)
	}
	if typ.Payload == nil || typ.Payload.Field != "Children" {
		t.Errorf("payload = %+v", typ.Payload)
	}
	if len(typ.Members) != 12 {
		t.Errorf("%d members, want 12 (unexported fields and _ excluded)", len(typ.Members))
	}
	tests := []struct {
		field string
		kind  shape.Kind
		loc   shape.Location
		name  string
		elem  string
	}{
		{"Name", shape.String, shape.Body, "name", "name"},
		{"Next", shape.Structure, shape.Body, "next", "next"},
		{"Children", shape.List, shape.Body, "children", "child"},
		{"Attrs", shape.Map, shape.Body, "attrs", "attrs"},
		{"When", shape.Timestamp, shape.Header, "x-when", "x-when"},
		{"Meta", shape.Map, shape.Headers, "x-meta-", "x-meta-"},
		{"Body", shape.Stream, shape.Body, "Body", "Body"},
		{"Doc", shape.Document, shape.Body, "doc", "doc"},
		{"Raw", shape.Blob, shape.Body, "raw", "raw"},
		{"Count", shape.Integer, shape.Query, "count", "count"},
		{"Status", shape.Integer, shape.StatusCode, "Status", "Status"},
	}
	for _, tc := range tests {
		var m *shape.Member
		for _, mm := range typ.Members {
			if mm.Field == tc.field {
				m = mm
			}
		}
		if m == nil {
			t.Errorf("no member %s", tc.field)
			continue
		}
		if m.Type.Kind != tc.kind || m.Location != tc.loc || m.Name != tc.name || m.ElemName() != tc.elem {
			t.Errorf("%s: kind %s loc %d name %q elem %q; want %s %d %q %q",
				tc.field, m.Type.Kind, m.Location, m.Name, m.ElemName(), tc.kind, tc.loc, tc.name, tc.elem)
		}
	}
	if m := typ.Member("attrs"); m == nil || m.Key != "k" || m.Value != "v" || m.Type.Elem.Kind != shape.Structure {
		t.Errorf("map member = %+v", m)
	}
	if m := typ.ElemMember("child"); m == nil || !m.Flattened || m.Item != "child" {
		t.Errorf("flattened list by element = %+v", m)
	}
	if len(typ.Attrs) != 1 || typ.Attrs[0].AttrName() != "type" {
		t.Errorf("attrs = %+v", typ.Attrs)
	}
	if m := typ.Member("x-when"); m != nil {
		t.Error("header members must not be body members")
	}
	if typ.Member("name").Time != shape.TimeDefault || !typ.Member("name").Required {
		t.Error("name member flags")
	}
	// Recursion resolves to the same description.
	if next := typ.Member("next").Type; next.Fields != typ.Fields || next.Go != reflect.TypeFor[*node]() {
		t.Error("a recursive member must share its parent's description")
	}
}

func TestOf_CachedAndConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*shape.Type, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = shape.Of(reflect.TypeFor[*node]())
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatal("Of returned different descriptions for one type")
		}
	}
	if got[0].Base != reflect.TypeFor[node]() || got[0].Kind != shape.Structure {
		t.Errorf("pointer type: base %v kind %s", got[0].Base, got[0].Kind)
	}
	if shape.Of(reflect.TypeFor[chan int]()).Kind != shape.Invalid {
		t.Error("a channel must be Invalid")
	}
}

func TestMissing(t *testing.T) {
	name := "n"
	v := &node{Name: &name, Children: []node{{}, {Name: &name}}, Attrs: map[string]*node{"a": {}}}
	got := shape.Missing(reflect.ValueOf(v))
	want := []string{"children.1.member.name", "attrs.a.name"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Missing = %q, want %q", got, want)
	}
	if got := shape.MissingMessage(got[:1]); got != "1 validation error detected: Value null at 'children.1.member.name' failed to satisfy constraint: Member must not be null" {
		t.Errorf("message = %q", got)
	}
}
