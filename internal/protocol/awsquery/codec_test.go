// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/awsquery"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

type params struct {
	_      struct{}            `type:"structure"`
	Name   *string             `locationName:"Name" type:"string"`
	Count  *int32              `locationName:"Count" type:"integer"`
	On     *bool               `locationName:"On" type:"boolean"`
	At     *time.Time          `locationName:"At" type:"timestamp"`
	Names  []string            `locationName:"Names" type:"list"`
	Flat   []string            `locationName:"Flat" type:"list" flattened:"true" locationNameList:"Item"`
	Nested [][]string          `locationName:"Nested" type:"list"`
	Attrs  map[string]string   `locationName:"Attrs" type:"map"`
	FlatM  map[string]string   `locationName:"FlatM" type:"map" flattened:"true" locationNameKey:"K" locationNameValue:"V"`
	Deep   *params             `locationName:"Deep" type:"structure"`
	Subs   []params            `locationName:"Subs" type:"list"`
	ByKey  map[string][]string `locationName:"ByKey" type:"map"`
}

var paramsOp = &awsapi.Operation{Name: "Op", ResultWrapper: "OpResult",
	NewInput: func() any { return new(params) }, NewOutput: func() any { return new(params) }}

func paramsCodec() *awsquery.Codec {
	return awsquery.New(&awsapi.Service{Protocol: awsapi.ProtocolQuery, APIVersion: "2020-01-01",
		XMLNamespace: "urn:test", Operations: map[string]*awsapi.Operation{"Op": paramsOp}})
}

func form(body string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestCodec_DecodeInput(t *testing.T) {
	s := func(v string) *string { return &v }
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		r    *http.Request
		want *params
	}{
		{"scalars", form("Action=Op&Name=a+b%26c&Count=-3&On=true&At=2024-01-02T03%3A04%3A05Z"),
			&params{Name: s("a b&c"), Count: ptr(int32(-3)), On: ptr(true), At: &at}},
		{"list out of order", form("Names.member.2=b&Names.member.1=a&Names.member.10=c"),
			&params{Names: []string{"a", "b", "c"}}},
		{"list without member segment", form("Names.1=a"), &params{Names: []string{"a"}}},
		{"empty list", form("Names=&Item="), &params{Names: []string{}, Flat: []string{}}},
		{"flattened named list", form("Item.1=x&Item.2=y"), &params{Flat: []string{"x", "y"}}},
		{"nested list", form("Nested.member.1.member.1=a&Nested.member.2.member.1=b"),
			&params{Nested: [][]string{{"a"}, {"b"}}}},
		{"map", form("Attrs.entry.1.key=k1&Attrs.entry.1.value=v1&Attrs.entry.2.key=k2"),
			&params{Attrs: map[string]string{"k1": "v1", "k2": ""}}},
		{"flattened map", form("FlatM.1.K=a&FlatM.1.V=b"), &params{FlatM: map[string]string{"a": "b"}}},
		{"map of lists", form("ByKey.entry.1.key=k&ByKey.entry.1.value.member.1=x"),
			&params{ByKey: map[string][]string{"k": {"x"}}}},
		{"nested structures", form("Deep.Deep.Name=n&Subs.member.1.Count=1&Subs.member.2.Deep.On=false"),
			&params{Deep: &params{Deep: &params{Name: s("n")}},
				Subs: []params{{Count: ptr(int32(1))}, {Deep: &params{On: ptr(false)}}}}},
		{"GET query string", httptest.NewRequest("GET", "/?Action=Op&Name=q", nil), &params{Name: s("q")}},
		{"POST without Content-Type", httptest.NewRequest("POST", "/?Count=2", strings.NewReader("Name=b")),
			&params{Name: s("b"), Count: ptr(int32(2))}},
		{"unknown keys ignored", form("Version=1&X-Amz-Date=now&Other.1=x"), &params{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := new(params)
			if err := paramsCodec().DecodeInput(tc.r, paramsOp, got); err != nil {
				t.Fatalf("DecodeInput: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, protocoltest.CmpOpts...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCodec_DecodeInput_Errors(t *testing.T) {
	tests := []struct {
		name   string
		r      *http.Request
		code   string
		status int
	}{
		{"list on scalar", form("Name.1=a"), "MalformedInput", 400},
		{"value for list", form("Names=a"), "MalformedInput", 400},
		{"value for structure", form("Deep=a"), "MalformedInput", 400},
		{"bad index", form("Names.member.x=a"), "MalformedInput", 400},
		{"zero index", form("Names.member.0=a"), "MalformedInput", 400},
		{"map entry without key", form("Attrs.entry.1.value=v"), "MalformedInput", 400},
		{"bad integer", form("Count=x"), "InvalidParameterValue", 400},
		{"bad boolean", form("On=1"), "InvalidParameterValue", 400},
		{"bad timestamp", form("At=yesterday"), "InvalidParameterValue", 400},
		{"bad encoding", form("Name=%zz"), "MalformedQueryString", 400},
		{"JSON body", func() *http.Request {
			r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), "UnsupportedMediaType", 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := paramsCodec().DecodeInput(tc.r, paramsOp, new(params))
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.HTTPStatus != tc.status {
				t.Fatalf("err = %v, want %s (%d)", err, tc.code, tc.status)
			}
		})
	}
}

func TestCodec_ResolveOperation(t *testing.T) {
	tests := []struct {
		body, code string
	}{
		{"Action=Op&Version=2020-01-01", ""},
		{"Version=2020-01-01", awserr.CodeMissingAction},
		{"Action=Nope", awserr.CodeInvalidAction},
	}
	for _, tc := range tests {
		op, err := paramsCodec().ResolveOperation(form(tc.body))
		var ae *awserr.Error
		switch {
		case tc.code == "" && (err != nil || op != paramsOp):
			t.Errorf("%q: %v, %v", tc.body, op, err)
		case tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code):
			t.Errorf("%q: err = %v, want %s", tc.body, err, tc.code)
		}
	}
}

func TestCodec_EncodeOutput(t *testing.T) {
	out := &params{Name: ptr("a<b"), Flat: []string{"x"}, FlatM: map[string]string{"b": "2", "a": "1"}}
	tests := []struct {
		name, wrapper, want string
	}{
		{"result wrapper", "OpResult", `<OpResponse xmlns="urn:test"><OpResult><Name>a&lt;b</Name><Item>x</Item>` +
			`<FlatM><K>a</K><V>1</V></FlatM><FlatM><K>b</K><V>2</V></FlatM></OpResult>` +
			`<ResponseMetadata><RequestId>r&amp;1</RequestId></ResponseMetadata></OpResponse>`},
		{"no result wrapper", "", `<OpResponse xmlns="urn:test"><Name>a&lt;b</Name><Item>x</Item>` +
			`<FlatM><K>a</K><V>1</V></FlatM><FlatM><K>b</K><V>2</V></FlatM>` +
			`<ResponseMetadata><RequestId>r&amp;1</RequestId></ResponseMetadata></OpResponse>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := *paramsOp
			op.ResultWrapper = tc.wrapper
			rec := httptest.NewRecorder()
			if err := paramsCodec().EncodeOutput(rec, &op, out, "r&1"); err != nil {
				t.Fatal(err)
			}
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	if err := paramsCodec().EncodeOutput(rec, paramsOp, nil, "id"); err != nil ||
		rec.Body.String() != `<OpResponse xmlns="urn:test"><ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>` {
		t.Errorf("empty output: %s, %v", rec.Body.String(), err)
	}
}

func TestCodec_EncodeError(t *testing.T) {
	rec := httptest.NewRecorder()
	e := awserr.InternalFailure(errors.New("secret cause"))
	e.Fields = map[string]string{"Detail": "d"}
	paramsCodec().EncodeError(rec, e, "id")
	want := `<ErrorResponse xmlns="urn:test"><Error><Type>Receiver</Type><Code>InternalFailure</Code>` +
		`<Message>We encountered an internal error. Please try again.</Message><Detail>d</Detail></Error>` +
		`<RequestId>id</RequestId></ErrorResponse>`
	if rec.Code != 500 || rec.Body.String() != want || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}

func ptr[T any](v T) *T { return &v }
