// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package restxml is the server side of the restXml protocol (S3).
//
// Operations are bound to HTTP methods and URI templates
// ("GET /{Bucket}/{Key+}", "PUT /{Bucket}?versioning"); members to URI
// labels, query parameters, headers, header-prefix maps (x-amz-meta-*),
// the status code, and the body, which is either one payload member (a
// streaming blob, a blob, a string or an XML structure) or an XML document
// of the remaining members.
//
//	request ─▶ Route (method, path, query keys, required headers, Host)
//	        ─▶ DecodeInput (labels, query, headers, body or stream) ─▶ service
//	        ◀─ EncodeOutput (status, headers, XML or stream) / EncodeError
//
// Routing picks exactly one operation with AWS's precedence and a short,
// explicit list of S3 special cases; both path-style (/bucket/key) and
// virtual-hosted-style (Host bucket.s3.<anything> or bucket.localhost)
// addressing are accepted. Streaming bodies are never read into memory:
// a streaming input member receives r.Body, a streaming output member is
// copied to the response. Errors are S3's <Error><Code/><Message/>...
// <RequestId/></Error> documents.
package restxml
