// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

//go:build !unix

package scheduler_test

import "time"

// cpuTime is unavailable here; benchmarks then report 0 cpu-ns/op.
func cpuTime() time.Duration { return 0 }
