// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package cedarbench measures cedar-go on the policy set that berth's IAM
// engine is benchmarked with (testdata/policyset.json), so the two can be
// compared side by side. It is a separate module so that cedar-go never
// enters berth's own go.mod; berth's engine lives under internal/ and cannot
// be imported from here, so compare.sh runs each module's benchmark and
// prints the ratio.
//
// The IAM statements are translated to Cedar as faithfully as Cedar allows:
// one permit or forbid per statement; exact action lists become an action
// scope and wildcard actions a `like` test on the lower-cased action; a
// Resource becomes a `like` test on the whole ARN (Cedar has no per-segment
// ARN matching, a difference that does not change this request's outcome);
// String*, Bool and IpAddress conditions become the matching Cedar
// expressions guarded by `has`, as IAM treats a missing key.
package cedarbench
