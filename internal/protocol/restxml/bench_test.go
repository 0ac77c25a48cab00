// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml_test

import (
	"net/http/httptest"
	"testing"

	"github.com/berthdev/berth/internal/protocol/protocoltest"
	"github.com/berthdev/berth/internal/protocol/restxml"
)

// BenchmarkRoute routes against all 107 operations of the S3 model.
func BenchmarkRoute(b *testing.B) {
	c := restxml.New(protocoltest.LoadModel(b, "s3"))
	r := httptest.NewRequest("PUT", "/photos/2024/a.jpg?partNumber=3&uploadId=u1", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Route(r); err != nil {
			b.Fatal(err)
		}
	}
}
