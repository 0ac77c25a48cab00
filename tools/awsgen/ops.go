// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

func (g *generator) ops() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "// Package %s is the generated wire layer of %s (API version %s):\n", g.pkg, g.m.Metadata.ServiceID, g.m.Metadata.APIVersion)
	b.WriteString("// typed inputs and outputs, the API interface with its Unimplemented base,\n")
	b.WriteString("// the operation table and the error constructors. See internal/awsapi.\n")
	fmt.Fprintf(&b, "package %s\n\n", g.pkg)
	b.WriteString("import (\n\t\"context\"\n\n\t\"github.com/berthdev/berth/internal/awsapi\"\n\t\"github.com/berthdev/berth/internal/awserr\"\n)\n\n")

	fmt.Fprintf(&b, "// API is every operation of %s. A service implements the operations it\n", g.m.Metadata.ServiceID)
	b.WriteString("// serves and embeds Unimplemented for the rest.\ntype API interface {\n")
	for _, op := range g.opNames {
		fmt.Fprintf(&b, "\t%s(ctx context.Context, in *%sInput) (*%sOutput, error)\n", op, op, op)
	}
	b.WriteString("}\n\n")

	b.WriteString("// Unimplemented answers every operation with a 501 NotImplemented error\n")
	b.WriteString("// naming it. Embed it in a service to serve a subset of the API.\n")
	b.WriteString("type Unimplemented struct{}\n\n")
	b.WriteString("var _ API = Unimplemented{}\n\n")
	for _, op := range g.opNames {
		fmt.Fprintf(&b, "// %s is not implemented.\nfunc (Unimplemented) %s(context.Context, *%sInput) (*%sOutput, error) {\n", op, op, op, op)
		fmt.Fprintf(&b, "\treturn nil, awserr.NotImplemented(%q, %q)\n}\n\n", g.svc, op)
	}

	md := g.m.Metadata
	signing := md.SigningName
	if signing == "" {
		signing = md.EndpointPrefix
	}
	b.WriteString("// Definition describes the service and its operations for the gateway and\n// the protocol codecs.\n")
	b.WriteString("var Definition = &awsapi.Service{\n")
	fmt.Fprintf(&b, "\tName: %q,\n\tServiceID: %q,\n\tProtocol: %q,\n\tAPIVersion: %q,\n", g.svc, md.ServiceID, md.Protocol, md.APIVersion)
	for _, f := range [][2]string{{"TargetPrefix", md.TargetPrefix}, {"JSONVersion", md.JSONVersion}, {"XMLNamespace", md.XMLNamespace}} {
		if f[1] != "" {
			fmt.Fprintf(&b, "\t%s: %q,\n", f[0], f[1])
		}
	}
	fmt.Fprintf(&b, "\tSigningName: %q,\n\tEndpointPrefix: %q,\n", signing, md.EndpointPrefix)
	b.WriteString("\tOperations: map[string]*awsapi.Operation{\n")
	for _, op := range g.opNames {
		o := g.m.Operations[op]
		fmt.Fprintf(&b, "\t\t%q: {\n\t\t\tName: %q,\n\t\t\tHTTPMethod: %q,\n\t\t\tRequestURI: %q,\n", op, op, o.method(), o.HTTP.RequestURI)
		if o.HTTP.ResponseCode != 0 {
			fmt.Fprintf(&b, "\t\t\tResponseCode: %d,\n", o.HTTP.ResponseCode)
		}
		if o.Output != nil && o.Output.ResultWrapper != "" {
			fmt.Fprintf(&b, "\t\t\tResultWrapper: %q,\n", o.Output.ResultWrapper)
		}
		fmt.Fprintf(&b, "\t\t\tNewInput: func() any { return new(%sInput) },\n", op)
		fmt.Fprintf(&b, "\t\t\tNewOutput: func() any { return new(%sOutput) },\n", op)
		fmt.Fprintf(&b, "\t\t\tInvoke: func(ctx context.Context, api any, in any) (any, error) {\n")
		fmt.Fprintf(&b, "\t\t\t\tout, err := api.(API).%s(ctx, in.(*%sInput))\n", op, op)
		b.WriteString("\t\t\t\tif err != nil {\n\t\t\t\t\treturn nil, err\n\t\t\t\t}\n\t\t\t\treturn out, nil\n\t\t\t},\n")
		if len(o.Errors) > 0 {
			var errs []string
			for _, e := range o.Errors {
				errs = append(errs, fmt.Sprintf("%q", e.Shape))
			}
			fmt.Fprintf(&b, "\t\t\tErrors: []string{%s},\n", strings.Join(errs, ", "))
		}
		b.WriteString("\t\t},\n")
	}
	if len(g.unmodelled) > 0 {
		b.WriteString("\t\t// Operations of the model outside models/patches' allow-list.\n")
	}
	for _, op := range g.unmodelled {
		o := g.m.Operations[op]
		fmt.Fprintf(&b, "\t\t%q: unmodelled(%q, %q, %q),\n", op, op, o.method(), o.HTTP.RequestURI)
	}
	b.WriteString("\t},\n}\n")
	if len(g.unmodelled) > 0 {
		g.writeUnmodelled(&b)
	}
	return b.Bytes(), nil
}

// writeUnmodelled emits the helper that describes the operations outside
// the allow-list: recognised, decoded into an empty input, and answered
// with 501 NotImplemented naming the operation.
func (g *generator) writeUnmodelled(b *bytes.Buffer) {
	b.WriteString("\n// unmodelledShape is the input and output of every operation without\n")
	b.WriteString("// generated types: it has no members, so any parameters are ignored.\n")
	b.WriteString("type unmodelledShape struct {\n\t_ struct{} `type:\"structure\"`\n}\n\n")
	b.WriteString("// unmodelled describes an operation berth recognises but does not\n")
	b.WriteString("// generate types for: it answers 501 NotImplemented naming itself.\n")
	b.WriteString("func unmodelled(name, method, uri string) *awsapi.Operation {\n")
	b.WriteString("\treturn &awsapi.Operation{\n\t\tName: name,\n\t\tHTTPMethod: method,\n\t\tRequestURI: uri,\n")
	b.WriteString("\t\tNewInput: func() any { return new(unmodelledShape) },\n")
	b.WriteString("\t\tNewOutput: func() any { return new(unmodelledShape) },\n")
	b.WriteString("\t\tInvoke: func(context.Context, any, any) (any, error) {\n")
	fmt.Fprintf(b, "\t\t\treturn nil, awserr.NotImplemented(%q, name)\n\t\t},\n\t}\n}\n", g.svc)
}

func (g *generator) errors() ([]byte, error) {
	var names []string
	for name, s := range g.m.Shapes {
		if s.Exception {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\n", g.pkg)
	if len(names) == 0 {
		return b.Bytes(), nil
	}
	b.WriteString("import (\n\t\"fmt\"\n\n\t\"github.com/berthdev/berth/internal/awserr\"\n)\n\n")
	b.WriteString("func newError(code string, status int, sender bool, format string, args []any) *awserr.Error {\n")
	b.WriteString("\tmsg := format\n\tif len(args) > 0 {\n\t\tmsg = fmt.Sprintf(format, args...)\n\t}\n")
	b.WriteString("\treturn &awserr.Error{Code: code, Message: msg, HTTPStatus: status, Sender: sender}\n}\n\n")
	for _, name := range names {
		s := g.m.Shapes[name]
		code, status, sender := name, 400, true
		if e := s.Error; e != nil {
			if e.Code != "" {
				code = e.Code
			}
			if e.HTTPStatusCode != 0 {
				status = e.HTTPStatusCode
			}
			sender = e.SenderFault || status < 500
		}
		if s.Fault {
			sender = false
			if s.Error == nil || s.Error.HTTPStatusCode == 0 {
				status = 500
			}
		}
		base := strings.TrimSuffix(exportName(name), "Exception")
		codeID := g.claim("Code"+base, "error code "+name)
		fnID := g.claim("Err"+base, "error constructor "+name)
		fmt.Fprintf(&b, "// %s is the wire code of the %s error.\nconst %s = %q\n\n", codeID, name, codeID, code)
		fmt.Fprintf(&b, "// %s returns a %s error (HTTP %d) with the given message.\n", fnID, name, status)
		fmt.Fprintf(&b, "func %s(format string, args ...any) *awserr.Error {\n\treturn newError(%s, %d, %t, format, args)\n}\n\n", fnID, codeID, status, sender)
	}
	return b.Bytes(), nil
}

// method is the operation's HTTP method; POST when the model names none
// (the query and JSON protocols).
func (o operation) method() string {
	if o.HTTP.Method == "" {
		return http.MethodPost
	}
	return o.HTTP.Method
}
