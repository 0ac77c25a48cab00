// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CredentialsProfile is the profile name of the root key in the
// credentials file.
const CredentialsProfile = "berth"

// rootKeyFromEnv returns the root key from BERTH_ROOT_ACCESS_KEY_ID and
// BERTH_ROOT_SECRET_ACCESS_KEY, or generates one.
func rootKeyFromEnv() (id, secret string, err error) {
	id, secret = os.Getenv("BERTH_ROOT_ACCESS_KEY_ID"), os.Getenv("BERTH_ROOT_SECRET_ACCESS_KEY")
	switch {
	case id != "" && secret != "":
		if len(id) < 16 || len(id) > 128 || len(secret) < 16 {
			return "", "", fmt.Errorf("controlplane: BERTH_ROOT_ACCESS_KEY_ID must be 16 to 128 characters and BERTH_ROOT_SECRET_ACCESS_KEY at least 16")
		}
		return id, secret, nil
	case id != "" || secret != "":
		return "", "", fmt.Errorf("controlplane: set both BERTH_ROOT_ACCESS_KEY_ID and BERTH_ROOT_SECRET_ACCESS_KEY, or neither")
	}
	return "AKIA" + randomString(16, upperAlnum), randomString(40, secretAlphabet), nil
}

const (
	upperAlnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from alphabet, whose
// length must divide 256.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// writeCredentialsFile writes the root key in the AWS shared-credentials
// format, mode 0600, atomically.
func writeCredentialsFile(path, id, secret, region string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n", CredentialsProfile, id, secret, region)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
