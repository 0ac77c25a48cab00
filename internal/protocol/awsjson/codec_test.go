// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson_test

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/awsjson"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

type sample struct {
	_     struct{}           `type:"structure"`
	Str   *string            `locationName:"str" type:"string"`
	Num   *int32             `locationName:"num" type:"integer"`
	Big   *int64             `locationName:"big" type:"long"`
	Flt   *float64           `locationName:"flt" type:"double"`
	On    *bool              `locationName:"on" type:"boolean"`
	When  *time.Time         `locationName:"when" type:"timestamp"`
	ISO   *time.Time         `locationName:"iso" type:"timestamp" timestampFormat:"iso8601"`
	Raw   []byte             `locationName:"raw" type:"blob"`
	List  [][]string         `locationName:"list" type:"list"`
	Map   map[string]*sample `locationName:"map" type:"map"`
	Doc   any                `locationName:"doc" type:"document"`
	Inner *sample            `locationName:"inner" type:"structure"`
}

var sampleOp = &awsapi.Operation{Name: "Sample", NewInput: func() any { return new(sample) }}

func sampleCodec() *awsjson.Codec {
	return awsjson.New(&awsapi.Service{Protocol: awsapi.ProtocolJSON, TargetPrefix: "Svc_1", JSONVersion: "1.0",
		Operations: map[string]*awsapi.Operation{"Sample": sampleOp}})
}

func decode(body string) (*sample, error) {
	in := new(sample)
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	return in, sampleCodec().DecodeInput(r, sampleOp, in)
}

func TestCodec_DecodeInput(t *testing.T) {
	str := func(s string) *string { return &s }
	when := time.Date(2014, 4, 29, 18, 30, 38, 250e6, time.UTC)
	tests := []struct {
		name string
		body string
		want *sample
	}{
		{"empty body", "", &sample{}},
		{"white space", " \n\t", &sample{}},
		{"empty object", "{}", &sample{}},
		{"nulls are absent", `{"str":null,"inner":null,"list":null}`, &sample{}},
		{"scalars", `{"str":"s","num":-7,"big":9007199254740993,"flt":1.5e3,"on":false}`,
			&sample{Str: str("s"), Num: ptr(int32(-7)), Big: ptr(int64(9007199254740993)), Flt: ptr(1500.0), On: ptr(false)}},
		{"special floats", `{"flt":"-Infinity"}`, &sample{Flt: ptr(math.Inf(-1))}},
		{"epoch with fraction", `{"when":1398796238.25}`, &sample{When: &when}},
		{"iso member", `{"iso":"2014-04-29T18:30:38.25Z"}`, &sample{ISO: &when}},
		{"blob", `{"raw":"aGk="}`, &sample{Raw: []byte("hi")}},
		{"nested lists", `{"list":[["a"],[],["b","c"]]}`, &sample{List: [][]string{{"a"}, {}, {"b", "c"}}}},
		{"map of structures", `{"map":{"k":{"str":"v"},"n":null}}`, &sample{Map: map[string]*sample{"k": {Str: str("v")}}}},
		{"document", `{"doc":{"a":[1,"x",true,null]}}`, &sample{Doc: map[string]any{"a": []any{1.0, "x", true, nil}}}},
		{"escapes", `{"str":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, &sample{Str: str("a\"\\/\b\f\n\r\té😀")}},
		{"unknown members", `{"x":{"y":[1,{"z":"}"}]},"str":"s","w":-0.5e-3}`, &sample{Str: str("s")}},
		{"recursion", `{"inner":{"inner":{"num":1}}}`, &sample{Inner: &sample{Inner: &sample{Num: ptr(int32(1))}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decode(tc.body)
			if err != nil {
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
		name, body, msg string
	}{
		{"not an object", `[]`, "expected a structure"},
		{"string for number", `{"num":"1"}`, "expected a number, found a string at 'num'"},
		{"number for string", `{"str":1}`, "expected a string"},
		{"fraction for integer", `{"num":1.5}`, "invalid integer value at 'num'"},
		{"overflow", `{"num":4294967296}`, "invalid integer"},
		{"object for list", `{"list":{}}`, "expected a list"},
		{"deep path", `{"map":{"k":{"inner":{"on":"yes"}}}}`, "at 'map.k.inner.on'"},
		{"list path", `{"list":[["a"],[1]]}`, "at 'list.2.1'"},
		{"bad base64", `{"raw":"***"}`, "invalid blob"},
		{"iso as number", `{"iso":1}`, "expected a timestamp string"},
		{"trailing data", `{} {}`, "unexpected data"},
		{"trailing comma", `{"str":"a",}`, "expected a member name"},
		{"missing colon", `{"str" "a"}`, "expected ':'"},
		{"unterminated", `{"str":"a`, "unterminated string"},
		{"bad literal", `{"on":tru}`, "invalid literal"},
		{"control character", "{\"str\":\"a\x01\"}", "control character"},
		{"bad escape", `{"str":"\x"}`, "invalid string escape"},
		{"bare minus", `{"num":-}`, "expected a number"},
		{"too deep", strings.Repeat(`{"inner":`, 600) + "{}" + strings.Repeat("}", 600), "nesting too deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(tc.body)
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != awserr.CodeSerialization || ae.HTTPStatus != http.StatusBadRequest {
				t.Fatalf("err = %v, want SerializationException 400", err)
			}
			if !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", ae.Message, tc.msg)
			}
		})
	}
}

func TestCodec_ResolveOperation(t *testing.T) {
	c := sampleCodec()
	tests := []struct {
		target string
		ok     bool
	}{
		{"Svc_1.Sample", true},
		{"Other.Sample", false},
		{"Svc_1.Nope", false},
		{"Sample", false},
		{"", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("X-Amz-Target", tc.target)
		op, err := c.ResolveOperation(r)
		var ae *awserr.Error
		switch {
		case tc.ok && (err != nil || op != sampleOp):
			t.Errorf("%q: %v, %v", tc.target, op, err)
		case !tc.ok && (!errors.As(err, &ae) || ae.Code != awserr.CodeUnknownOperation):
			t.Errorf("%q: err = %v, want UnknownOperationException", tc.target, err)
		}
	}
}

func TestCodec_EncodeOutput(t *testing.T) {
	when := time.Date(2014, 4, 29, 18, 30, 38, 0, time.UTC)
	out := &sample{
		Str: ptr("<a&b>\u2028\x01\xff"), Flt: ptr(math.NaN()), When: &when, ISO: &when,
		List: [][]string{{}, nil}, Map: map[string]*sample{"b": {}, "a": nil}, Doc: map[string]any{"k": 1},
	}
	rec := httptest.NewRecorder()
	if err := sampleCodec().EncodeOutput(rec, sampleOp, out, "rid"); err != nil {
		t.Fatal(err)
	}
	want := `{"str":"<a&b>\u2028\u0001\ufffd","flt":"NaN","when":1398796238,"iso":"2014-04-29T18:30:38Z",` +
		`"list":[[],null],"map":{"a":null,"b":{}},"doc":{"k":1}}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := rec.Header().Get("X-Amzn-RequestId"); id != "rid" {
		t.Errorf("X-Amzn-RequestId = %q", id)
	}
	rec = httptest.NewRecorder()
	if err := sampleCodec().EncodeOutput(rec, sampleOp, nil, ""); err != nil || rec.Body.String() != "{}" {
		t.Errorf("nil output: %q, %v", rec.Body.String(), err)
	}
	if err := sampleCodec().EncodeOutput(httptest.NewRecorder(), sampleOp, sample{}, ""); err == nil {
		t.Error("a non-pointer output must be rejected")
	}
}

func TestCodec_EncodeError(t *testing.T) {
	rec := httptest.NewRecorder()
	e := awserr.New("ResourceNotFoundException", 0, "no \"such\" thing")
	e.Fields = map[string]string{"resourceName": "x", "message": "dropped"}
	sampleCodec().EncodeError(rec, e, "rid")
	if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("status %d, type %q", rec.Code, rec.Header().Get("X-Amzn-ErrorType"))
	}
	want := `{"__type":"ResourceNotFoundException","message":"no \"such\" thing","resourceName":"x"}`
	if rec.Body.String() != want {
		t.Errorf("body %s, want %s", rec.Body.String(), want)
	}
	rec = httptest.NewRecorder()
	sampleCodec().EncodeError(rec, nil, "")
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"InternalFailure"`) {
		t.Errorf("nil error: %d %s", rec.Code, rec.Body.String())
	}
}

func ptr[T any](v T) *T { return &v }
