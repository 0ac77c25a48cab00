// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package shape

import (
	"io"
	"net/http"
	"testing"
)

// TestReadBody_Buffered: a body the gateway buffered is taken as is, not
// copied; one a reader has started on yields what is left.
func TestReadBody_Buffered(t *testing.T) {
	b := []byte(`{"cluster":"c1"}`)
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	r.Body = NewBufferedBody(b)
	got, aerr := ReadBody(r)
	if aerr != nil || string(got) != string(b) || &got[0] != &b[0] {
		t.Errorf("ReadBody = %q, %v (same array %v), want the buffered bytes themselves", got, aerr, len(got) > 0 && &got[0] == &b[0])
	}
	if rest, _ := io.ReadAll(r.Body); len(rest) != 0 {
		t.Errorf("body after ReadBody = %q, want it consumed", rest)
	}

	r.Body = NewBufferedBody(b)
	one := make([]byte, 1)
	if _, err := r.Body.Read(one); err != nil {
		t.Fatal(err)
	}
	got, aerr = ReadBody(r)
	if aerr != nil || string(got) != string(b[1:]) {
		t.Errorf("ReadBody after one byte was read = %q, %v, want %q", got, aerr, b[1:])
	}
}
