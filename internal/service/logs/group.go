// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"errors"
	"maps"
	"sort"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/store"
)

// CreateLogGroup creates a log group.
func (s *Service) CreateLogGroup(ctx context.Context, in *logsapi.CreateLogGroupInput) (*logsapi.CreateLogGroupOutput, error) {
	name := deref(in.LogGroupName)
	if err := checkGroupName("logGroupName", name); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	class := deref(in.LogGroupClass)
	switch class {
	case "", "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
	default:
		return nil, invalid(class, "logGroupClass", "Member must satisfy enum value set: [DELIVERY, STANDARD, INFREQUENT_ACCESS]")
	}
	if class == "" {
		class = "STANDARD"
	}
	rec := &groupRec{ID: newID(), Name: name, Created: s.now(), Tags: maps.Clone(in.Tags), KmsKeyID: deref(in.KmsKeyId), Class: class}
	if _, err := s.groups.Create(ctx, name, rec); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, logsapi.ErrResourceAlreadyExists(msgGroupExists)
		}
		return nil, err
	}
	return &logsapi.CreateLogGroupOutput{}, nil
}

// DeleteLogGroup deletes a log group, its streams and their events.
func (s *Service) DeleteLogGroup(ctx context.Context, in *logsapi.DeleteLogGroupInput) (*logsapi.DeleteLogGroupOutput, error) {
	name := deref(in.LogGroupName)
	if err := checkGroupName("logGroupName", name); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, name)
	if err != nil {
		return nil, err
	}
	if _, err := s.groups.Delete(ctx, name, g.Revision); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return nil, logsapi.ErrOperationAborted("Multiple concurrent requests to update the same resource were in conflict.")
		}
		return nil, err
	}
	// The group is gone: no new stream can join it (CreateLogStream checks
	// the group's revision). Its streams and events go next; what a crash
	// leaves behind, Run collects.
	if err := s.deleteStreams(ctx, g.Value.ID); err != nil {
		s.log.Warn("logs: deleting the streams of a deleted group", "group", name, "err", err)
	}
	if err := s.events.DeleteGroup(g.Value.ID); err != nil {
		s.log.Warn("logs: deleting the events of a deleted group", "group", name, "err", err)
	}
	return &logsapi.DeleteLogGroupOutput{}, nil
}

// deleteStreams deletes the stream records of a group id.
func (s *Service) deleteStreams(ctx context.Context, groupID string) error {
	recs, _, err := s.streams.List(ctx, store.Page{Prefix: groupID + "/"})
	if err != nil {
		return err
	}
	batch := max(1, s.st.MaxTxnOps())
	for len(recs) > 0 {
		n := min(batch, len(recs))
		tx := s.st.Txn()
		for _, r := range recs[:n] {
			tx.Add(s.streams.DeleteOp(r.ID, r.Revision))
		}
		if _, err := tx.Commit(ctx); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// DescribeLogGroups lists log groups in name order.
func (s *Service) DescribeLogGroups(ctx context.Context, in *logsapi.DescribeLogGroupsInput) (*logsapi.DescribeLogGroupsOutput, error) {
	prefix, pattern := deref(in.LogGroupNamePrefix), deref(in.LogGroupNamePattern)
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, logsapi.ErrInvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if in.LogGroupNamePrefix != nil {
		if err := checkGroupName("logGroupNamePrefix", prefix); err != nil {
			return nil, err
		}
	}
	if len(pattern) > 512 || !groupPatternRE.MatchString(pattern) {
		return nil, invalid(pattern, "logGroupNamePattern", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]*`)
	}
	if err := checkLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	tok, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	page := store.Page{Prefix: prefix}
	if tok != nil {
		page.After = tok.Name
	}
	recs, _, err := s.groups.List(ctx, page)
	if err != nil {
		return nil, err
	}
	limit := limitOr(in.Limit, 50)
	lower := strings.ToLower(pattern)
	out := &logsapi.DescribeLogGroupsOutput{LogGroups: []logsapi.LogGroup{}}
	for _, r := range recs {
		g := r.Value
		if pattern != "" && !strings.Contains(strings.ToLower(g.Name), lower) {
			continue
		}
		if in.LogGroupClass != nil && g.Class != *in.LogGroupClass {
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = encodeToken(pageToken{Name: *out.LogGroups[limit-1].LogGroupName})
			break
		}
		out.LogGroups = append(out.LogGroups, s.describeGroup(g))
	}
	return out, nil
}

func (s *Service) describeGroup(g *groupRec) logsapi.LogGroup {
	arn := s.groupARN(g.Name)
	lg := logsapi.LogGroup{
		LogGroupName:      ptr(g.Name),
		CreationTime:      ptr(g.Created),
		MetricFilterCount: ptr(int32(0)),
		Arn:               ptr(arn + ":*"),
		LogGroupArn:       ptr(arn),
		StoredBytes:       ptr(s.events.GroupBytes(g.ID)),
		LogGroupClass:     ptr(g.Class),
	}
	if g.Retention > 0 {
		lg.RetentionInDays = ptr(g.Retention)
	}
	if g.KmsKeyID != "" {
		lg.KmsKeyId = ptr(g.KmsKeyID)
	}
	return lg
}

// PutRetentionPolicy sets a log group's retention.
func (s *Service) PutRetentionPolicy(ctx context.Context, in *logsapi.PutRetentionPolicyInput) (*logsapi.PutRetentionPolicyOutput, error) {
	days := deref(in.RetentionInDays)
	if !retentionDays[days] {
		keys := make([]int, 0, len(retentionDays))
		for d := range retentionDays {
			keys = append(keys, int(d))
		}
		sort.Ints(keys)
		return nil, invalid(itoa(int64(days)), "retentionInDays", "Member must satisfy enum value set: "+intList(keys))
	}
	return &logsapi.PutRetentionPolicyOutput{}, s.updateGroup(ctx, in.LogGroupName, func(g *groupRec) { g.Retention = days })
}

// DeleteRetentionPolicy makes a log group keep its events forever.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, in *logsapi.DeleteRetentionPolicyInput) (*logsapi.DeleteRetentionPolicyOutput, error) {
	return &logsapi.DeleteRetentionPolicyOutput{}, s.updateGroup(ctx, in.LogGroupName, func(g *groupRec) { g.Retention = 0 })
}

// updateGroup changes a log group record.
func (s *Service) updateGroup(ctx context.Context, name *string, fn func(*groupRec)) error {
	if err := checkGroupName("logGroupName", deref(name)); err != nil {
		return err
	}
	_, err := s.groups.Update(ctx, *name, func(g *groupRec) error { fn(g); return nil })
	if errors.Is(err, store.ErrNotFound) {
		return logsapi.ErrResourceNotFound(msgGroupNotFound)
	}
	return err
}
