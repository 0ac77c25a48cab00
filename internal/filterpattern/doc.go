// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package filterpattern parses and evaluates CloudWatch Logs filter patterns,
// the language FilterLogEvents, metric filters and subscription filters use to
// select log events. It follows AWS's "Filter pattern syntax for metric
// filters, subscription filters, filter log events, and Live Tail"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
//
//   - unstructured terms: ERROR ARGUMENTS (all), ?ERROR ?WARN (any),
//     ERROR -ARGUMENTS (exclude), "INTERNAL SERVER ERROR" (phrase), " " (all
//     events); terms are case-sensitive substrings of the message;
//   - a standalone regular expression %...% in AWS's restricted dialect;
//   - JSON patterns { $.a.b[0] = "x*" && ($.n > 10 || $.f IS TRUE) };
//   - space-delimited patterns [ip, user, ..., status=4*, bytes>1000].
//
// Parse compiles a pattern once; (*Pattern).Match is safe for concurrent use
// and does not allocate for unstructured patterns.
package filterpattern
