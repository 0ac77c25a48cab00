#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright berth authors
#
# compare.sh runs berth's IAM engine benchmark (main module) and the cedar-go
# benchmark (this module) on the same policy set, testdata/policyset.json,
# and prints both medians and their ratio. Usage: bench/cedar/compare.sh [count]
set -euo pipefail
count="${1:-5}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) exit 1; print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
nsop() { awk '/ns\/op/ {for (i=1;i<=NF;i++) if ($(i+1)=="ns/op") print $i}'; }
allocs() { awk '/allocs\/op/ {for (i=1;i<=NF;i++) if ($(i+1)=="allocs/op") print $i}' | head -1; }

berth_out="$(cd "$root" && go test -run '^$' -bench '^BenchmarkEvaluate_10Policies100Statements$' -benchtime=1s -count="$count" ./internal/iam/policy/)"
cedar_out="$(cd "$here" && go test -run '^$' -bench '^BenchmarkCedar_10Policies100Statements$' -benchtime=1s -count="$count" .)"

b="$(printf '%s\n' "$berth_out" | nsop | median)"
c="$(printf '%s\n' "$cedar_out" | nsop | median)"
printf 'berth    %10.1f ns/op  %s allocs/op  (median of %s)\n' "$b" "$(printf '%s\n' "$berth_out" | allocs)" "$count"
printf 'cedar-go %10.1f ns/op  %s allocs/op  (median of %s)\n' "$c" "$(printf '%s\n' "$cedar_out" | allocs)" "$count"
awk -v b="$b" -v c="$c" 'BEGIN {printf "ratio    cedar-go/berth = %.1fx\n", c/b}'
