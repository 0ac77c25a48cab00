// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package shape reads the struct-tag contract of the generated awsapi types
// (see internal/awsapi) once per Go type and hands the protocol codecs a
// ready-made description of every member: its wire name, where it is bound
// (body, URI label, query string, header, header prefix map, status code),
// its kind and the naming of list items and map entries.
//
// It also holds what every protocol shares about scalars (the three AWS
// timestamp formats and the text forms of numbers, booleans and blobs used
// by query strings, headers, URI labels and XML text), the required-member
// check, and the little request plumbing all codecs need (body limit, error
// status), so none of it is copied per protocol.
//
// Descriptions are built on first use, cached in a sync.Map keyed by
// reflect.Type and never mutated afterwards, so codecs read them without
// locks and never parse a tag on the request path.
//
//	t := shape.Of(reflect.TypeOf(in)) // *shape.Type, cached
//	for _, m := range t.Members {
//		fv := v.Field(m.Index)
//		// m.Name, m.Location, m.Type.Kind ...
//	}
package shape
