// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package wire

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Envelope is one websocket frame: the message's shape name and its body.
type Envelope struct {
	Type    string          `json:"type"`
	Message json.RawMessage `json:"message"`
}

// Marshal frames msg as a message of type typ.
func Marshal(typ string, msg any) ([]byte, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal %s: %w", typ, err)
	}
	return json.Marshal(Envelope{Type: typ, Message: body})
}

// ErrUndecodable is returned by Decode for a frame that is neither an
// envelope nor the compact error form.
var ErrUndecodable = errors.New("wire: undecodable message")

// Decode splits a frame into its type and body. Besides the envelope it
// accepts the compact form some handshake errors take,
// {"InactiveInstanceException":"text"}, whose body it returns as
// {"message":"text"}.
func Decode(data []byte) (typ string, body json.RawMessage, err error) {
	var env Envelope
	if err := json.Unmarshal(data, &env); err == nil && env.Type != "" {
		return env.Type, env.Message, nil
	}
	var compact map[string]string
	if err := json.Unmarshal(data, &compact); err != nil || len(compact) != 1 {
		return "", nil, fmt.Errorf("%w: %.200q", ErrUndecodable, data)
	}
	for k, v := range compact {
		b, _ := json.Marshal(ErrorShape{Message: v})
		return k, b, nil
	}
	return "", nil, ErrUndecodable
}

// Unmarshal decodes a message body into v.
func Unmarshal(body json.RawMessage, v any) error {
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("wire: %w", err)
	}
	return nil
}

// ErrorShape is the body of every exception type (AccessDeniedException,
// InactiveInstanceException, ServerException...) and of CloseMessage and
// ErrorMessage.
type ErrorShape struct {
	Message string `json:"message"`
}

// NewMessageID returns a random message id in the UUID format ACS uses.
func NewMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// FormatUUID formats 16 bytes as 8-4-4-4-12 hex digits.
func FormatUUID(b [16]byte) string {
	var dst [36]byte
	hex.Encode(dst[0:8], b[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], b[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], b[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], b[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:36], b[10:16])
	return string(dst[:])
}
