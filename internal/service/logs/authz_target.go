// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logs

import (
	"context"
	"sort"

	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/actionmap"
)

var _ gateway.Describer = (*Service)(nil)

// AuthzTarget implements gateway.Describer: each operation is authorized
// with its logs: action on the ARN the Service Authorization Reference
// names for it — the log group's (arn:aws:logs:R:A:log-group:NAME) or the
// log stream's (...:log-group:NAME:log-stream:STREAM); "*" for
// DescribeLogGroups, which has no resource type — with aws:RequestTag/*
// and aws:TagKeys for the tags a request carries and aws:ResourceTag/*
// for an existing group's tags; CreateLogGroup with tags also needs
// logs:TagResource or logs:TagLogGroup. A request too malformed to name its
// resource is authorized on "*"; the handler then refuses it.
func (s *Service) AuthzTarget(ctx context.Context, op string, in any) (gateway.Target, error) {
	action, ok := actionmap.ForOperation("logs", op)
	if !ok {
		return gateway.Target{}, nil
	}
	t := gateway.Target{Action: action}
	group, stream := "", ""
	var reqTags map[string]string
	var tagKeys []string
	switch v := in.(type) {
	case *logsapi.CreateLogGroupInput:
		group, reqTags = deref(v.LogGroupName), v.Tags
	case *logsapi.DeleteLogGroupInput:
		group = deref(v.LogGroupName)
	case *logsapi.PutRetentionPolicyInput:
		group = deref(v.LogGroupName)
	case *logsapi.DeleteRetentionPolicyInput:
		group = deref(v.LogGroupName)
	case *logsapi.TagLogGroupInput:
		group, reqTags = deref(v.LogGroupName), v.Tags
	case *logsapi.UntagLogGroupInput:
		group, tagKeys = deref(v.LogGroupName), v.Tags
	case *logsapi.ListTagsLogGroupInput:
		group = deref(v.LogGroupName)
	case *logsapi.TagResourceInput:
		group, reqTags = s.arnGroup(v.ResourceArn), v.Tags
	case *logsapi.UntagResourceInput:
		group, tagKeys = s.arnGroup(v.ResourceArn), v.TagKeys
	case *logsapi.ListTagsForResourceInput:
		group = s.arnGroup(v.ResourceArn)
	case *logsapi.CreateLogStreamInput:
		group, stream = deref(v.LogGroupName), deref(v.LogStreamName)
	case *logsapi.DeleteLogStreamInput:
		group, stream = deref(v.LogGroupName), deref(v.LogStreamName)
	case *logsapi.PutLogEventsInput:
		group, stream = deref(v.LogGroupName), deref(v.LogStreamName)
	case *logsapi.GetLogEventsInput:
		group, _ = s.groupRef(v.LogGroupName, v.LogGroupIdentifier)
		stream = deref(v.LogStreamName)
	case *logsapi.DescribeLogStreamsInput:
		group, _ = s.groupRef(v.LogGroupName, v.LogGroupIdentifier)
	case *logsapi.FilterLogEventsInput:
		group, _ = s.groupRef(v.LogGroupName, v.LogGroupIdentifier)
	}
	if group == "" {
		return t, nil
	}
	if stream != "" {
		t.Resources = []string{s.streamARN(group, stream)}
	} else {
		t.Resources = []string{s.groupARN(group)}
	}
	ctxKeys := map[string][]string{}
	keys := append([]string(nil), tagKeys...)
	for k, v := range reqTags {
		ctxKeys["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		ctxKeys["aws:TagKeys"] = keys
	}
	if g, err := s.groups.Get(ctx, group); err == nil {
		for k, v := range g.Value.Tags {
			ctxKeys["aws:ResourceTag/"+k] = []string{v}
		}
	}
	if len(ctxKeys) > 0 {
		t.Context = ctxKeys
	}
	if _, ok := in.(*logsapi.CreateLogGroupInput); ok && len(reqTags) > 0 {
		t.Extra = []gateway.Check{tagOnCreate(t.Resources, reqTags)}
	}
	return t, nil
}

// tagOnCreate is the check CreateLogGroup with tags needs besides
// logs:CreateLogGroup: "To assign tags when you create a log group, you
// must have either the logs:TagResource or logs:TagLogGroup permission"
// (CreateLogGroup API reference).
func tagOnCreate(resources []string, tags map[string]string) gateway.Check {
	c := make(map[string][]string, len(tags)+1)
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		c["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c["aws:TagKeys"] = keys
	return gateway.Check{Action: "logs:TagResource", OrActions: []string{"logs:TagLogGroup"}, Resources: resources, Context: c}
}

// arnGroup returns the group a tagging request's ARN names, or "".
func (s *Service) arnGroup(arn *string) string {
	g, _ := s.groupFromARN(deref(arn))
	return g
}
