// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package xmlbody writes and reads tagged awsapi structures as XML, the way
// awsQuery results and restXml bodies carry them. It is shared by the
// awsquery codec (results) and the restxml codec (request and response
// bodies) so the XML rules live in one place:
//
//   - a member is an element named by its locationName; members with an
//     xmlAttribute tag are attributes of their parent's element;
//   - a list is <Name><member>v</member>...</Name>, the item element named by
//     locationNameList; a flattened list repeats <Item>v</Item> (Item is
//     locationNameList when given, else locationName) with no wrapper;
//   - a map is <Name><entry><key>k</key><value>v</value></entry>...</Name>
//     (key and value renamed by locationNameKey/locationNameValue); a
//     flattened map repeats <Name><key>k</key><value>v</value></Name>;
//   - blobs are base64, timestamps ISO 8601 unless the member says otherwise,
//     xmlPrefix/xmlURI declare a namespace on the member's element.
//
// Encoding never fails on well-formed contract types; decoding reports
// malformed documents as *SyntaxError and bad scalar values as *ValueError,
// which the codecs turn into their protocol's error code.
package xmlbody
