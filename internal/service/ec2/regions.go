// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
)

// DescribeRegions lists the one region berth serves. RegionNames naming
// another region is InvalidParameterValue, as for a region that does not
// exist.
func (s *Service) DescribeRegions(ctx context.Context, in *ec2api.DescribeRegionsInput) (*ec2api.DescribeRegionsOutput, error) {
	for _, name := range in.RegionNames {
		if name != s.cfg.Region {
			return nil, ec2api.ErrInvalidParameterValue("Invalid region: %s", name)
		}
	}
	region := ec2api.Region{RegionName: aws.String(s.cfg.Region), Endpoint: aws.String("ec2." + s.cfg.Region + ".amazonaws.com"),
		OptInStatus: aws.String("opt-in-not-required")}
	fs, err := parseFilters(in.Filters, regionAttr)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeRegionsOutput{Regions: []ec2api.Region{}}
	if matches(&region, fs, regionAttr) {
		out.Regions = append(out.Regions, region)
	}
	return out, nil
}

func regionAttr(r *ec2api.Region, name string) ([]string, bool) {
	var v *string
	switch name {
	case "region-name":
		if r != nil {
			v = r.RegionName
		}
	case "endpoint":
		if r != nil {
			v = r.Endpoint
		}
	case "opt-in-status":
		if r != nil {
			v = r.OptInStatus
		}
	default:
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	return []string{*v}, true
}

// DescribeAvailabilityZones lists berth's one zone, REGION+"a", where
// every host is placed.
func (s *Service) DescribeAvailabilityZones(ctx context.Context, in *ec2api.DescribeAvailabilityZonesInput) (*ec2api.DescribeAvailabilityZonesOutput, error) {
	zone := ec2api.AvailabilityZone{
		ZoneName: aws.String(s.zone()), ZoneId: aws.String(s.cfg.Region + "-az1"), RegionName: aws.String(s.cfg.Region),
		State: aws.String("available"), OptInStatus: aws.String("opt-in-not-required"), ZoneType: aws.String("availability-zone"),
		GroupName: aws.String(s.cfg.Region), NetworkBorderGroup: aws.String(s.cfg.Region), Messages: []ec2api.AvailabilityZoneMessage{},
	}
	for _, n := range in.ZoneNames {
		if n != s.zone() {
			return nil, ec2api.ErrInvalidParameterValue("The zone '%s' does not exist.", n)
		}
	}
	if len(in.ZoneIds) > 0 && !slices.Contains(in.ZoneIds, *zone.ZoneId) {
		return nil, ec2api.ErrInvalidParameterValue("The zone ID '%s' does not exist.", in.ZoneIds[0])
	}
	return &ec2api.DescribeAvailabilityZonesOutput{AvailabilityZones: []ec2api.AvailabilityZone{zone}}, nil
}
