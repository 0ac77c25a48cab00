// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package querycore

import (
	"net/http"
	"strconv"

	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

// AppendXMLNS appends ` xmlns="ns"` (escaped) to an open start tag in b;
// an empty ns appends nothing.
func AppendXMLNS(b []byte, ns string) []byte {
	if ns == "" {
		return b
	}
	b = append(b, ` xmlns="`...)
	b = xmlbody.Escape(b, ns, true)
	return append(b, '"')
}

// WriteXML writes body as the response with status, its Content-Type
// (the protocols spell it differently), Content-Length and, when there is
// one, X-Amzn-RequestId.
func WriteXML(w http.ResponseWriter, status int, contentType, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if requestID != "" {
		h.Set("X-Amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}
