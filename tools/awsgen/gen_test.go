// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"encoding/json"
	"go/format"
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
