module github.com/berthdev/berth/bench/cedar

go 1.26.8

// The benchmark reads the policy set shared with berth's engine from
// testdata; if it ever imports a berth package, this keeps it on the
// working tree rather than a published version.
replace github.com/berthdev/berth => ../..

require github.com/cedar-policy/cedar-go v1.9.1

require (
	github.com/go-json-experiment/json v1.27.2 // indirect
	golang.org/x/exp v0.0.0-20220921023135-46d9e7742f1e // indirect
)
