// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"encoding/json"
	"go/format"
	"regexp"
	"strings"
	"testing"
)

// tinyEC2 is a fixture model in the ec2 protocol: two operations, one
// member with a queryName, an enum reachable only from Run, and one
// reachable from nothing.
const tinyEC2 = `{
  "metadata": {"apiVersion": "2016-11-15", "endpointPrefix": "ec2", "protocol": "ec2", "serviceId": "EC2", "xmlNamespace": "http://ec2.amazonaws.com/doc/2016-11-15"},
  "operations": {
    "Run": {"name": "Run", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "RunRequest"}, "output": {"shape": "RunResult"}},
    "DescribeVpcs": {"name": "DescribeVpcs", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "DescribeVpcsRequest"}, "output": {"shape": "DescribeVpcsResult"}}
  },
  "shapes": {
    "RunRequest": {"type": "structure", "required": ["Count"], "members": {
      "Count": {"shape": "Integer"},
      "Addresses": {"shape": "AddressList", "locationName": "addressSet", "queryName": "Addresses"},
      "Kind": {"shape": "Kind", "locationName": "kind"}}},
    "RunResult": {"type": "structure", "members": {"Ids": {"shape": "IdList", "locationName": "idSet"}}},
    "DescribeVpcsRequest": {"type": "structure", "members": {"Vpc": {"shape": "Vpc"}}},
    "DescribeVpcsResult": {"type": "structure", "members": {"State": {"shape": "VpcState"}}},
    "Vpc": {"type": "structure", "members": {"Id": {"shape": "String"}}},
    "AddressList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
    "IdList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
    "Kind": {"type": "string", "enum": ["a", "b"]},
    "VpcState": {"type": "string", "enum": ["available"]},
    "Integer": {"type": "integer"},
    "String": {"type": "string"}
  }
}`

func generateTiny(t *testing.T, p *patch) map[string]string {
	t.Helper()
	m := new(model)
	if err := json.Unmarshal([]byte(tinyEC2), m); err != nil {
		t.Fatal(err)
	}
	if err := p.apply(m); err != nil {
		t.Fatal(err)
	}
	g := newGenerator("ec2", m, p)
	out := map[string]string{}
	for name, fn := range map[string]func() ([]byte, error){"types": g.types, "ops": g.ops, "errors": g.errors} {
		src, err := fn()
		if err != nil {
			t.Fatal(err)
		}
		b, err := format.Source(src)
		if err != nil {
			t.Fatalf("%s does not format: %v\n%s", name, err, src)
		}
		out[name] = string(b)
	}
	return out
}

func TestGenerate_AllowList(t *testing.T) {
	out := generateTiny(t, &patch{Operations: []string{"Run"}, Errors: map[string]int{"InvalidID.NotFound": 400}})
	tests := []struct {
		name, file, text string
		want             bool
	}{
		{"allowed operation is typed", "types", "type RunInput struct", true},
		{"queryName becomes a tag", "types", `locationName:"addressSet" queryName:"Addresses" type:"list" locationNameList:"item"`, true},
		{"enum of an allowed operation", "types", `KindA = "a"`, true},
		{"other operation has no types", "types", "DescribeVpcsInput", false},
		{"its shapes are not generated", "types", "type Vpc struct", false},
		{"its enums are not generated", "types", "VpcState", false},
		{"allowed operation in the API", "ops", "Run(ctx context.Context, in *RunInput) (*RunOutput, error)", true},
		{"other operation stays recognised", "ops", `"DescribeVpcs": unmodelled("DescribeVpcs", "POST", "/"),`, true},
		{"other operation is not in the API", "ops", "DescribeVpcs(ctx", false},
		{"unmodelled answers NotImplemented", "ops", `awserr.NotImplemented("ec2", name)`, true},
		{"patch error code", "errors", `const CodeInvalidIDNotFound = "InvalidID.NotFound"`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Contains(out[tc.file], tc.text); got != tc.want {
				t.Errorf("%s contains %q = %v, want %v", tc.file, tc.text, got, tc.want)
			}
		})
	}
}

// TestGenerate_ResponseCode checks that an operation's modelled success
// status (http.responseCode) reaches its descriptor, and that operations
// without one carry none.
func TestGenerate_ResponseCode(t *testing.T) {
	m := new(model)
	if err := json.Unmarshal([]byte(strings.Replace(tinyEC2,
		`"Run": {"name": "Run", "http": {"method": "POST", "requestUri": "/"}`,
		`"Run": {"name": "Run", "http": {"method": "POST", "requestUri": "/", "responseCode": 204}`, 1)), m); err != nil {
		t.Fatal(err)
	}
	if m.Operations["Run"].HTTP.ResponseCode != 204 {
		t.Fatalf("fixture edit did not apply: %+v", m.Operations["Run"].HTTP)
	}
	src, err := newGenerator("ec2", m, &patch{}).ops()
	if err != nil {
		t.Fatal(err)
	}
	b, err := format.Source(src)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	run := regexp.MustCompile(`(?s)"Run": \{.*?\n\t\t\},`).FindString(out)
	describe := regexp.MustCompile(`(?s)"DescribeVpcs": \{.*?\n\t\t\},`).FindString(out)
	if run == "" || describe == "" {
		t.Fatalf("descriptors not found:\n%s", out)
	}
	if !regexp.MustCompile(`ResponseCode: +204,`).MatchString(run) {
		t.Errorf("Run descriptor lacks ResponseCode 204:\n%s", run)
	}
	if strings.Contains(describe, "ResponseCode") {
		t.Errorf("DescribeVpcs descriptor has a ResponseCode:\n%s", describe)
	}
}

func TestGenerate_WithoutAllowListEverythingIsTyped(t *testing.T) {
	out := generateTiny(t, &patch{})
	for _, text := range []string{"type DescribeVpcsInput struct", "type Vpc struct", `VpcStateAvailable = "available"`} {
		if !strings.Contains(out["types"], text) {
			t.Errorf("types lack %q", text)
		}
	}
	if strings.Contains(out["ops"], "unmodelled") {
		t.Error("ops has the unmodelled helper without an allow-list")
	}
}

func TestPatch_RejectsUnknownOperation(t *testing.T) {
	m := new(model)
	if err := json.Unmarshal([]byte(tinyEC2), m); err != nil {
		t.Fatal(err)
	}
	if err := (&patch{Operations: []string{"Nope"}}).apply(m); err == nil {
		t.Error("apply accepted an allow-list naming an operation the model lacks")
	}
}

func TestPatch_Members(t *testing.T) {
	out := generateTiny(t, &patch{Members: map[string]map[string]*ref{
		"RunRequest": {"clientToken": {Shape: "String", LocationName: "clientToken"}},
	}})
	if !regexp.MustCompile(`ClientToken +\*string +` + "`" + `locationName:"clientToken" type:"string"` + "`").MatchString(out["types"]) {
		t.Errorf("RunInput lacks the patched member:\n%s", out["types"])
	}
	tests := []struct {
		name    string
		members map[string]map[string]*ref
	}{
		{"unknown shape", map[string]map[string]*ref{"Nope": {"x": {Shape: "String"}}}},
		{"not a structure", map[string]map[string]*ref{"IdList": {"x": {Shape: "String"}}}},
		{"existing member", map[string]map[string]*ref{"RunRequest": {"Count": {Shape: "Integer"}}}},
		{"unknown member shape", map[string]map[string]*ref{"RunRequest": {"x": {Shape: "Nope"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := new(model)
			if err := json.Unmarshal([]byte(tinyEC2), m); err != nil {
				t.Fatal(err)
			}
			if err := (&patch{Members: tc.members}).apply(m); err == nil {
				t.Error("apply accepted the patch")
			}
		})
	}
}
