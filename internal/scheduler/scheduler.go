// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Planner commits placements; the ECS service implements it with the
// store. It commits each instance's placements in a transaction guarded by
// a compare of the instance record's revision with Placement.Version
// (store.md 3.8 point 4), creating the tasks and adding their CPU, memory
// and host ports to the instance's usage.
type Planner interface {
	// SubmitPlan commits what it can of plan. An instance whose record
	// changed since the placements were computed (another placement, a
	// status or resource change) rejects all of its placements; the
	// others commit. An error means the outcome is unknown and ends
	// Process.
	SubmitPlan(ctx context.Context, plan *Plan) (*PlanResult, error)
}

// Plan is a batch of placements for one request.
type Plan struct {
	Request    *Request
	Placements []Placement
}

// PlanResult is what SubmitPlan committed.
type PlanResult struct {
	Committed []Placement
	// State is a view at least as new as the commit, against which the
	// rejected tasks are placed again. It may be nil when nothing was
	// rejected.
	State State
}

// Config tunes a Scheduler. The zero value is the default.
type Config struct {
	// MaxAttempts bounds the place-and-commit rounds of one Process call;
	// 0 means 5.
	MaxAttempts int
	// SampleSize is how many feasible instances binpack and random chains
	// examine; 0 means DefaultSampleSize, negative means every instance.
	SampleSize int
}

// Deps are a Scheduler's collaborators.
type Deps struct {
	Planner Planner
	// Rand breaks ties. Nil uses the global source, which is safe for
	// concurrent use; a *rand.Rand is not, so with one set Process must
	// not run concurrently.
	Rand *rand.Rand
}

// Scheduler places tasks and commits them through a Planner with
// optimistic concurrency. It is safe for concurrent use unless Deps.Rand is
// set.
type Scheduler struct {
	cfg  Config
	deps Deps
}

// New returns a Scheduler.
func New(cfg Config, deps Deps) (*Scheduler, error) {
	if deps.Planner == nil {
		return nil, errors.New("scheduler: Deps.Planner is required")
	}
	if cfg.MaxAttempts < 0 {
		return nil, fmt.Errorf("scheduler: MaxAttempts %d is negative", cfg.MaxAttempts)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.SampleSize == 0 {
		cfg.SampleSize = DefaultSampleSize
	}
	return &Scheduler{cfg: cfg, deps: deps}, nil
}

// Eval asks for Request's tasks to be placed, starting from State.
type Eval struct {
	State   State
	Request *Request
}

// Result is the outcome of Process.
type Result struct {
	Placements []Placement // committed
	// Failures explains why the tasks missing from Placements could not
	// be placed, as RunTask's failures[]; empty when all were placed.
	Failures []Failure
	Attempts int // place-and-commit rounds used
}

// Process places ev.Request's tasks and commits them: it places against
// ev.State, submits the plan, and places the tasks of rejected placements
// again against the fresher State the Planner returns, until every task is
// committed or cannot be placed. Unlike Nomad's Process(eval) error it
// returns the Result, because RunTask answers with the placed tasks and
// failures[] synchronously.
//
// Errors: a *InvalidParameterError for an invalid request; the Planner's
// error, wrapped; ErrConflict, wrapped, when placements were still being
// rejected after Config.MaxAttempts rounds. With the last two the Result
// holds what was committed before.
func (s *Scheduler) Process(ctx context.Context, ev Eval) (*Result, error) {
	res := &Result{}
	st, remaining := ev.State, ev.Request.Count
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Attempts++
		r := *ev.Request
		r.Count = remaining
		ps, fs, err := place(st, &r, s.deps.Rand, s.cfg.SampleSize)
		if err != nil {
			return nil, err
		}
		if len(ps) == 0 {
			res.Failures = fs
			return res, nil
		}
		pr, err := s.deps.Planner.SubmitPlan(ctx, &Plan{Request: &r, Placements: ps})
		if err != nil {
			return res, fmt.Errorf("scheduler: submit plan: %w", err)
		}
		if len(pr.Committed) > len(ps) {
			return res, fmt.Errorf("scheduler: planner committed %d of %d placements", len(pr.Committed), len(ps))
		}
		res.Placements = append(res.Placements, pr.Committed...)
		remaining -= len(pr.Committed)
		if len(pr.Committed) == len(ps) {
			res.Failures = fs
			return res, nil
		}
		if res.Attempts >= s.cfg.MaxAttempts {
			return res, fmt.Errorf("scheduler: %d tasks still rejected after %d attempts: %w", remaining, res.Attempts, ErrConflict)
		}
		if pr.State == nil {
			return res, errors.New("scheduler: planner rejected placements but returned no fresher state")
		}
		st = pr.State
	}
}
