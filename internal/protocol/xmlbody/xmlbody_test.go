// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package xmlbody_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/protocol/protocoltest"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

type grantee struct {
	_    struct{} `type:"structure"`
	Type *string  `locationName:"xsi:type" type:"string" xmlAttribute:"true"`
	ID   *string  `locationName:"ID" type:"string"`
}

type doc struct {
	_       struct{}             `type:"structure"`
	Name    *string              `locationName:"Name" type:"string"`
	Empty   *string              `locationName:"Empty" type:"string"`
	Size    *int64               `locationName:"Size" type:"long"`
	Ratio   *float64             `locationName:"Ratio" type:"double"`
	When    *time.Time           `locationName:"When" type:"timestamp"`
	Epoch   *time.Time           `locationName:"Epoch" type:"timestamp" timestampFormat:"unixTimestamp"`
	Raw     []byte               `locationName:"Raw" type:"blob"`
	Items   []string             `locationName:"Items" type:"list" locationNameList:"Item"`
	Flat    []doc                `locationName:"Flat" type:"list" flattened:"true"`
	Matrix  [][]int32            `locationName:"Matrix" type:"list"`
	Attrs   map[string]string    `locationName:"Attrs" type:"map" locationNameKey:"K" locationNameValue:"V"`
	FlatMap map[string][]string  `locationName:"FlatMap" type:"map" flattened:"true"`
	Grantee *grantee             `locationName:"Grantee" type:"structure" xmlPrefix:"xsi" xmlURI:"http://www.w3.org/2001/XMLSchema-instance"`
	Header  *string              `location:"header" locationName:"x-h" type:"string"`
	Nested  map[string]*doc      `locationName:"Nested" type:"map"`
	Sets    []map[string]float64 `locationName:"Sets" type:"list"`
}

func sampleDoc() *doc {
	when := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	s := func(v string) *string { return &v }
	return &doc{
		Name: s("a<b>&\"c\"\r\n"), Empty: s(""), Size: new(int64), Ratio: ptr(0.25), When: &when,
		Epoch: ptr(when.Truncate(time.Second)), Raw: []byte("hi"),
		Items: []string{"x", ""}, Flat: []doc{{Name: s("f1")}, {Size: ptr(int64(2))}},
		Matrix: [][]int32{{1, 2}, {}}, Attrs: map[string]string{"b": "2", "a": "1"},
		FlatMap: map[string][]string{"k": {"v1", "v2"}},
		Grantee: &grantee{Type: s("CanonicalUser"), ID: s("id")},
		Header:  s("not in the body"), Nested: map[string]*doc{"n": {Name: s("inner")}},
		Sets: []map[string]float64{{"pi": 3.14}},
	}
}

func TestAppendStruct_RoundTrip(t *testing.T) {
	in := sampleDoc()
	b := xmlbody.AppendStruct(nil, "Doc", "urn:x", reflect.ValueOf(in))
	want := `<Doc xmlns="urn:x"><Name>a&lt;b&gt;&amp;"c"&#xD;` + "\n" + `</Name><Empty></Empty><Size>0</Size>` +
		`<Ratio>0.25</Ratio><When>2024-01-02T03:04:05.678Z</When><Epoch>1704164645</Epoch><Raw>aGk=</Raw>` +
		`<Items><Item>x</Item><Item></Item></Items><Flat><Name>f1</Name></Flat><Flat><Size>2</Size></Flat>` +
		`<Matrix><member><member>1</member><member>2</member></member><member></member></Matrix>` +
		`<Attrs><entry><K>a</K><V>1</V></entry><entry><K>b</K><V>2</V></entry></Attrs>` +
		`<FlatMap><key>k</key><value><member>v1</member><member>v2</member></value></FlatMap>` +
		`<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>id</ID></Grantee>` +
		`<Nested><entry><key>n</key><value><Name>inner</Name></value></entry></Nested>` +
		`<Sets><member><entry><key>pi</key><value>3.14</value></entry></member></Sets></Doc>`
	if string(b) != want {
		t.Errorf("AppendStruct\n got %s\nwant %s", b, want)
	}
	out := new(doc)
	if err := xmlbody.Decode(strings.NewReader(string(b)), reflect.ValueOf(out)); err != nil {
		t.Fatal(err)
	}
	in.Header = nil // not a body member
	if diff := cmp.Diff(in, out, protocoltest.CmpOpts...); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecode_Errors(t *testing.T) {
	tests := []struct {
		name, doc string
		syntax    bool
	}{
		{"not XML", "{}", true},
		{"unclosed", "<Doc><Name>x</Doc>", true},
		{"two roots", "<Doc/><Doc/>", true},
		{"trailing text", "<Doc/>x", true},
		{"element in a value", "<Doc><Size><b/></Size></Doc>", true},
		{"map entry without key", "<Doc><Attrs><entry><V>1</V></entry></Attrs></Doc>", true},
		{"bad number", "<Doc><Size>big</Size></Doc>", false},
		{"bad time", "<Doc><When>now</When></Doc>", false},
		{"bad base64", "<Doc><Raw>***</Raw></Doc>", false},
		{"bad attribute", `<Doc><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x"><ID>1</ID></Grantee><Flat><Size>x</Size></Flat></Doc>`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := xmlbody.Decode(strings.NewReader(tc.doc), reflect.ValueOf(new(doc)))
			var se *xmlbody.SyntaxError
			var ve *xmlbody.ValueError
			switch {
			case tc.syntax && !errors.As(err, &se):
				t.Errorf("err = %v, want a SyntaxError", err)
			case !tc.syntax && !errors.As(err, &ve):
				t.Errorf("err = %v, want a ValueError", err)
			}
		})
	}
	if err := xmlbody.Decode(strings.NewReader(" <?xml version=\"1.0\"?>\n "), reflect.ValueOf(new(doc))); !errors.Is(err, xmlbody.ErrEmpty) {
		t.Errorf("empty document: %v", err)
	}
}

func TestDecode_Lenient(t *testing.T) {
	got := new(doc)
	src := `<?xml version="1.0"?><Whatever xmlns="urn:y"><Unknown><Name>skip</Name></Unknown>` +
		`<Items><member>a</member><Item>b</Item></Items><Size></Size><Empty/></Whatever>`
	if err := xmlbody.Decode(strings.NewReader(src), reflect.ValueOf(got)); err != nil {
		t.Fatal(err)
	}
	want := &doc{Items: []string{"a", "b"}, Empty: ptr("")}
	if diff := cmp.Diff(want, got, protocoltest.CmpOpts...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEscape(t *testing.T) {
	got := string(xmlbody.Escape(nil, "a\x00b\xffc\ttab\"q'\n", true))
	if want := "a\uFFFDb\uFFFDc&#x9;tab&quot;q'&#xA;"; got != want {
		t.Errorf("Escape = %q, want %q", got, want)
	}
}

func ptr[T any](v T) *T { return &v }
