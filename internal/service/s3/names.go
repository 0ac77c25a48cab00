// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"net/netip"
	"strings"
)

// Limits from the Amazon S3 User Guide.
const (
	maxKeyLen   = 1024    // "Object key names": up to 1,024 bytes of UTF-8
	maxMetaSize = 2 << 10 // user-defined metadata: 2 KB (keys and values)
	maxParts    = 10000   // part numbers 1..10,000
	maxDelete   = 1000    // DeleteObjects: up to 1,000 keys
	maxListKeys = 1000
	maxTags     = 10 // object tags; buckets allow 50
	maxBucketTg = 50
)

// validBucketName applies the general purpose bucket naming rules of the
// Amazon S3 User Guide: 3 to 63 characters of lowercase letters, digits,
// dots and hyphens; beginning and ending with a letter or digit; no two
// adjacent dots; not an IP address; none of the reserved prefixes
// ("xn--", "sthree-", "amzn-s3-demo-") or suffixes ("-s3alias",
// "--ol-s3", ".mrap", "--x-s3", "--table-s3").
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) || strings.Contains(name, "..") {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// metaSize is the size S3 counts for user metadata: the bytes of every
// key and value.
func metaSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}
