// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package awsquery is the server side of the awsQuery protocol (IAM, STS).
//
// A request carries Action, Version and the input members as form-encoded
// parameters, in a POST body or the query string of a GET:
//
//	Action=CreateRole&Version=2010-05-08&RoleName=r
//	  &Tags.member.1.Key=team&Tags.member.1.Value=ops    list of structures
//	  &Names.1=a&Names.2=b                               flattened list
//	  &Attrs.entry.1.key=k&Attrs.entry.1.value=v         map (flattened: Attrs.1.key)
//	  &Config.Nested.Leaf=x                              nested structures
//	  &Empty=                                            an empty list
//
// Responses are XML, the output inside <OpResponse><OpResult> followed by
// <ResponseMetadata><RequestId>; errors are <ErrorResponse><Error> with
// Type (Sender or Receiver), Code and Message. Timestamps are ISO 8601
// (2024-01-02T03:04:05Z) unless a member's timestampFormat says otherwise;
// the XML rules for lists and maps are those of package xmlbody.
//
// Reading requests is package querycore's, shared with EC2's dialect of
// this protocol; this package states the awsQuery rules (its Dialect) and
// writes the awsQuery response and error envelopes.
package awsquery
