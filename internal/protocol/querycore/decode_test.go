// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package querycore_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/querycore"
	"github.com/berthdev/berth/internal/protocol/shape"
)

type input struct {
	_     struct{}          `type:"structure"`
	Name  *string           `locationName:"name" type:"string" required:"true"`
	Names []string          `locationName:"names" type:"list"`
	Attrs map[string]string `locationName:"attrs" type:"map"`
	Alias *string           `locationName:"alias" queryName:"Other" type:"string"`
}

var svc = &awsapi.Service{APIVersion: "2020-01-01", Operations: map[string]*awsapi.Operation{
	"Op": {Name: "Op", NewInput: func() any { return new(input) }}}}

// dialect returns a Dialect with the given list and map rule, whose keys
// are the queryName tag or the wire name upper-cased, counting Key calls.
func dialect(wrapped bool, calls *atomic.Int32) querycore.Dialect {
	return querycore.Dialect{
		Key: func(m *shape.Member, tag reflect.StructTag) string {
			calls.Add(1)
			if k := tag.Get("queryName"); k != "" {
				return k
			}
			return strings.ToUpper(m.Name[:1]) + m.Name[1:]
		},
		Wrapped:       wrapped,
		Malformed:     "Bad",
		UnknownAction: func(s *awsapi.Service, a string) string { return a + "@" + s.APIVersion },
		Missing: func(paths []string) *awserr.Error {
			return awserr.New("Missing", http.StatusBadRequest, "%s", strings.Join(paths, ","))
		},
	}
}

func post(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func code(err error) string {
	var e *awserr.Error
	if !errors.As(err, &e) {
		return ""
	}
	return e.Code
}

// TestDecodeInput_Dialects decodes the same keys under a wrapped and an
// unwrapped dialect: the wrapper segments are what tells them apart.
func TestDecodeInput_Dialects(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name     string
		wrapped  bool
		body     string
		want     *input
		wantCode string
	}{
		{"wrapped list", true, "Name=n&Names.member.2=b&Names.member.1=a", &input{Name: s("n"), Names: []string{"a", "b"}}, ""},
		{"wrapped list without its segment", true, "Name=n&Names.1=a", &input{Name: s("n"), Names: []string{"a"}}, ""},
		{"wrapped map", true, "Name=n&Attrs.entry.1.key=k&Attrs.entry.1.value=v", &input{Name: s("n"), Attrs: map[string]string{"k": "v"}}, ""},
		{"unwrapped list", false, "Name=n&Names.1=a&Names.2=b", &input{Name: s("n"), Names: []string{"a", "b"}}, ""},
		{"unwrapped map", false, "Name=n&Attrs.1.key=k&Attrs.1.value=v", &input{Name: s("n"), Attrs: map[string]string{"k": "v"}}, ""},
		{"unwrapped list refuses a member segment", false, "Name=n&Names.member.1=a", nil, "Bad"},
		{"queryName key", false, "Name=n&Other=x&Alias=y", &input{Name: s("n"), Alias: s("x")}, ""},
		{"malformed", true, "Name=n&Names=x", nil, "Bad"},
		{"complex element for a scalar", true, "Name.Deep=n", nil, "Bad"},
		{"missing", true, "Names.1=a", nil, "Missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			dec := querycore.NewDecoder(svc, dialect(tt.wrapped, &calls))
			got := new(input)
			err := dec.DecodeInput(post(tt.body), got)
			if tt.wantCode != "" {
				if code(err) != tt.wantCode {
					t.Fatalf("DecodeInput(%q) = %v, want code %s", tt.body, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeInput(%q): %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(input{})); diff != "" {
				t.Errorf("DecodeInput(%q) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

// TestDecodeInput_KeysCached checks that the dialect's Key runs once per
// member of a type, however many requests are decoded.
func TestDecodeInput_KeysCached(t *testing.T) {
	var calls atomic.Int32
	dec := querycore.NewDecoder(svc, dialect(true, &calls))
	for range 3 {
		if err := dec.DecodeInput(post("Name=n"), new(input)); err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("Key called %d times for 3 requests of a 4-member type, want 4", got)
	}
}

func TestResolveOperation(t *testing.T) {
	var calls atomic.Int32
	dec := querycore.NewDecoder(svc, dialect(true, &calls))
	op, err := dec.ResolveOperation(httptest.NewRequest(http.MethodGet, "/?Action=Op", nil))
	if err != nil || op.Name != "Op" {
		t.Fatalf("ResolveOperation(Op) = %v, %v", op, err)
	}
	_, err = dec.ResolveOperation(post("Action=Nope"))
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != awserr.CodeInvalidAction || e.Message != "Nope@2020-01-01" {
		t.Errorf("ResolveOperation(Nope) = %v, want InvalidAction with the dialect's message", err)
	}
	if _, err := dec.ResolveOperation(post("Version=1")); code(err) != awserr.CodeMissingAction {
		t.Errorf("ResolveOperation without Action = %v, want MissingAction", err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	r.Header.Set("Content-Type", "application/json")
	if _, err := dec.ResolveOperation(r); code(err) != "UnsupportedMediaType" {
		t.Errorf("ResolveOperation of a JSON body = %v, want UnsupportedMediaType", err)
	}
}
