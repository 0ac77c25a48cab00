#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright berth authors
#
# compare.sh builds berth and this benchmark, then measures berth's server
# against moto's server on this machine (iam:GetRole, ecs:DescribeClusters,
# ecs:ListTasks from 1 and 16 concurrent aws-sdk-go-v2 clients) and prints
# throughput, p50/p99/p99.9, CPU per call and the berth/moto ratios.
# It needs moto in python3 (pip install 'moto[server]'); without it, it says
# so and exits 0. Extra arguments go to the benchmark, e.g.
#   bench/moto/compare.sh -duration 20s -clients 16 -ops iam:GetRole
#   bench/moto/compare.sh -moto-auth    # moto verifies signatures and policies too
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

if ! "$python" -c 'import moto' 2>/dev/null; then
	echo "compare.sh: moto is not installed for $python (pip install 'moto[server]'): nothing to compare against; skipping."
	exit 0
fi

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/berth" ./cmd/berth && go build -o "$bin/motobench" ./bench/moto)
"$bin/motobench" -berth "$bin/berth" -python "$python" "$@"
