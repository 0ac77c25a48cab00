// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseEnvFile reads KEY=VALUE lines. Later assignments of a key win (as
// appending to the file with echo >> does). Values may be wrapped in
// double quotes (\" \\ \n \t escapes) or single quotes (literal);
// unquoted values are trimmed. Any malformed line fails the whole file.
func ParseEnvFile(r io.Reader, name string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !keyRE.MatchString(k) {
			errs = append(errs, fmt.Errorf("config: %s:%d: want KEY=VALUE, got %q", name, n, line))
			continue
		}
		val, err := unquote(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("config: %s:%d: %s: %w", name, n, k, err))
			continue
		}
		out[k] = val
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("config: reading %s: %w", name, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func unquote(v string) (string, error) {
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		return v, nil
	}
	q := v[0]
	if len(v) < 2 || v[len(v)-1] != q {
		return "", errors.New("unterminated quote")
	}
	body := v[1 : len(v)-1]
	if q == '\'' {
		if strings.ContainsRune(body, '\'') {
			return "", errors.New("stray single quote")
		}
		return body, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$', '`':
				b.WriteByte(body[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(body[i])
			}
		case c == '"':
			return "", errors.New("stray double quote")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
