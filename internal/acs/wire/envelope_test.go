// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package wire

import (
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantType string
		wantBody string
		wantErr  error
	}{
		{"envelope", `{"type":"HeartbeatMessage","message":{"healthy":true,"messageId":"m"}}`, "HeartbeatMessage", `{"healthy":true,"messageId":"m"}`, nil},
		{"compact error", `{"InactiveInstanceException":"gone"}`, "InactiveInstanceException", `{"message":"gone"}`, nil},
		{"awsJson error is not ACS", `{"__type":"AccessDeniedException","message":"no"}`, "", "", ErrUndecodable},
		{"not json", `hello`, "", "", ErrUndecodable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, body, err := Decode([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff([]string{tc.wantType, tc.wantBody}, []string{typ, string(body)}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarshal_RoundTrip(t *testing.T) {
	in := AckRequest{Cluster: "c", ContainerInstance: "i", MessageID: "m"}
	b, err := Marshal(TypeAckRequest, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"AckRequest","message":{"cluster":"c","containerInstance":"i","messageId":"m"}}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	typ, body, err := Decode(b)
	var out AckRequest
	if err == nil {
		err = Unmarshal(body, &out)
	}
	if err != nil || typ != TypeAckRequest || out != in {
		t.Errorf("round trip = %s %+v %v", typ, out, err)
	}
}

func TestNewMessageID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewMessageID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("message id %q: not a fresh UUIDv4", id)
		}
		seen[id] = true
	}
}
