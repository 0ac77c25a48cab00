// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package querycore is what the two query protocols, awsQuery (package
// awsquery: IAM, STS) and EC2's dialect of it (package ec2query), share:
// reading a request's form-encoded parameters (a POST body or the query
// string of a GET), naming the operation from its Action, decoding the
// dotted keys into an input structure, and writing an XML response.
//
// The protocols differ in a few rules, which each states as a Dialect:
//
//   - the key a member travels under (awsQuery: its locationName, or the
//     item name of a flattened list; EC2: its queryName, else its
//     locationName with the first letter upper-cased);
//   - whether lists and maps nest their items under a "member"/"entry"
//     segment (awsQuery, unless flattened) or number them directly under
//     the member's key (EC2);
//   - the error codes and messages for a malformed key, an unknown action
//     and a missing required member.
//
// The response envelopes (result wrapper, request id, error shape) differ
// wholly and stay in the protocol packages; AppendXMLNS and WriteXML are
// the small pieces of them that are the same.
package querycore
