// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/berthdev/berth/internal/awsapi"
)

// Suite is one group of the AWS protocol test vectors
// (models/protocol_tests/{input,output}/<protocol>.json): shapes shared
// by its cases.
type Suite struct {
	Description string `json:"description"`
	Metadata    struct {
		Protocol     string `json:"protocol"`
		JSONVersion  string `json:"jsonVersion"`
		TargetPrefix string `json:"targetPrefix"`
		APIVersion   string `json:"apiVersion"`
	} `json:"metadata"`
	Shapes map[string]*Shape `json:"shapes"`
	Cases  []*Case           `json:"cases"`
}

// Case is one vector. Input vectors have Params and Serialized (the
// request a client sends); output vectors Response and Result (what a
// client parses from it).
type Case struct {
	Given struct {
		Name   string `json:"name"`
		Input  *Ref   `json:"input"`
		Output *Ref   `json:"output"`
		HTTP   struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
	} `json:"given"`
	Params     json.RawMessage `json:"params"`
	Result     json.RawMessage `json:"result"`
	Serialized *struct {
		Method  string            `json:"method"`
		URI     string            `json:"uri"`
		Body    string            `json:"body"`
		Host    string            `json:"host"`
		Headers map[string]string `json:"headers"`
	} `json:"serialized"`
	Response *struct {
		StatusCode int               `json:"status_code"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	} `json:"response"`
}

// Vector is a case ready to run: its suite, the Go types built from the
// suite's shapes, and the service and operation descriptors around them.
type Vector struct {
	Name    string // "<suite description>/<case number>", the skip key
	Suite   *Suite
	Case    *Case
	In, Out reflect.Type // struct types (not pointers)
	Service *awsapi.Service
	Op      *awsapi.Operation
}

// Load reads models/protocol_tests/<dir>/<protocol>.json ("input" or
// "output", "json", "query" or "rest-xml") from the module root.
func Load(t testing.TB, dir, protocol string) []*Vector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ModuleRoot(t), "models", "protocol_tests", dir, protocol+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var suites []*Suite
	if err := json.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	var out []*Vector
	for _, s := range suites {
		b := &Builder{Shapes: s.Shapes}
		for i, c := range s.Cases {
			out = append(out, vector(b, s, c, fmt.Sprintf("%s/%d", s.Description, i+1)))
		}
	}
	return out
}

func vector(b *Builder, s *Suite, c *Case, name string) *Vector {
	v := &Vector{Name: name, Suite: s, Case: c}
	var wrapper string
	if in := c.Given.Input; in != nil {
		v.In = b.Struct(in.Shape, in)
	} else {
		v.In = b.Struct("", nil)
	}
	if out := c.Given.Output; out != nil {
		v.Out = b.Struct(out.Shape, out)
		wrapper = first(out.ResultWrapper, s.Shapes[out.Shape].ResultWrapper)
	} else {
		v.Out = b.Struct("", nil)
	}
	method := c.Given.HTTP.Method
	if method == "" && c.Serialized != nil {
		method = c.Serialized.Method
	}
	in, out := v.In, v.Out
	v.Op = &awsapi.Operation{
		Name:          c.Given.Name,
		HTTPMethod:    first(method, "POST"),
		RequestURI:    first(c.Given.HTTP.RequestURI, "/"),
		ResultWrapper: wrapper,
		NewInput:      func() any { return reflect.New(in).Interface() },
		NewOutput:     func() any { return reflect.New(out).Interface() },
	}
	v.Service = &awsapi.Service{
		Name:         "vector",
		Protocol:     awsapi.Protocol(s.Metadata.Protocol),
		APIVersion:   s.Metadata.APIVersion,
		TargetPrefix: s.Metadata.TargetPrefix,
		JSONVersion:  s.Metadata.JSONVersion,
		Operations:   map[string]*awsapi.Operation{v.Op.Name: v.Op},
	}
	return v
}

// Params returns the vector's params (input) or result (output) as a
// pointer to a value of the matching Go type.
func (v *Vector) Params(t testing.TB) any {
	t.Helper()
	raw, typ := v.Case.Params, v.In
	if v.Case.Result != nil {
		raw, typ = v.Case.Result, v.Out
	}
	var generic any
	if len(raw) > 0 {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&generic); err != nil {
			t.Fatal(err)
		}
	}
	val, err := Value(typ, generic)
	if err != nil {
		t.Fatalf("%s: %v", v.Name, err)
	}
	p := reflect.New(typ)
	p.Elem().Set(val)
	return p.Interface()
}

// Skips lists vectors that cannot apply to a server, by Vector.Name, with
// the reason printed when they are skipped.
type Skips map[string]string

// Run runs fn for every vector as a subtest named after it, skipping the
// listed ones, and logs how many passed and were skipped.
func Run(t *testing.T, vectors []*Vector, skips Skips, fn func(t *testing.T, v *Vector)) {
	var passed, skipped int
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			defer func() {
				switch {
				case t.Skipped():
					skipped++
				case !t.Failed():
					passed++
				}
			}()
			if reason, ok := skips[v.Name]; ok {
				t.Skip("not applicable to a server: " + reason)
			}
			fn(t, v)
		})
	}
	for name := range skips {
		if !hasVector(vectors, name) {
			t.Errorf("skip table names an unknown vector %q", name)
		}
	}
	t.Logf("protocol vectors: %d total, %d passed, %d skipped", len(vectors), passed, skipped)
}

func hasVector(vs []*Vector, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// ModuleRoot returns the directory holding go.mod above the working
// directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("protocoltest: go.mod not found")
		}
		dir = parent
	}
}
