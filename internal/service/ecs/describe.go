// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import "github.com/berthdev/berth/internal/awsapi/ecsapi"

// describeEach resolves the references of a Describe call with get, which
// returns the resource, or on a miss the ARN the reference names ("" when
// it names none). Found resources go to add; each miss is a failure with
// reason MISSING, named by that ARN or else by the reference as given.
func describeEach[T any](refs []string, get func(ref string) (T, string, bool), add func(T)) []ecsapi.Failure {
	fails := []ecsapi.Failure{}
	for _, ref := range refs {
		v, arn, ok := get(ref)
		if !ok {
			if arn == "" {
				arn = ref
			}
			fails = append(fails, ecsapi.Failure{Arn: ptr(arn), Reason: ptr(reasonMissing)})
			continue
		}
		add(v)
	}
	return fails
}
