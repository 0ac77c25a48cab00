// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package ec2query is the server side of the EC2 protocol (metadata
// protocol "ec2"), the awsQuery dialect Amazon EC2 speaks.
//
// A request carries Action, Version and the input members as form-encoded
// parameters, in a POST body or the query string of a GET. Unlike awsQuery
// every list is flattened and numbered directly under its name, and a
// member's key is its queryName tag, else its locationName with the first
// letter upper-cased, else its Go name:
//
//	Action=DescribeInstances&Version=2016-11-15
//	  &InstanceId.1=i-0123&InstanceId.2=i-4567          list (locationName "InstanceId")
//	  &Filter.1.Name=tag:team&Filter.1.Value.1=ops       list of structures
//	  &DryRun=false                                      locationName "dryRun"
//	  &IamInstanceProfile.Name=ecsInstanceRole           nested structure
//	  &Attrs.1.key=k&Attrs.1.value=v                     map
//	  &Empty=                                            an empty list
//
// Responses are XML without a result wrapper, the request id first:
//
//	<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
//	  <requestId>id</requestId>
//	  <reservationSet><item>...</item></reservationSet>
//	</DescribeInstancesResponse>
//
// members named by locationName and list items by locationNameList
// ("item"), as package xmlbody writes them. Errors are
//
//	<Response><Errors><Error><Code>C</Code><Message>M</Message></Error></Errors>
//	<RequestID>id</RequestID></Response>
//
// with the error's HTTP status. The few generic codes that EC2 spells
// differently are translated at this boundary: a denial (AccessDenied)
// becomes UnauthorizedOperation, an unknown key or bad signature
// AuthFailure, an expired session RequestExpired, a missing required
// parameter MissingParameter.
//
// Reading requests is package querycore's, shared with awsQuery; this
// package states the EC2 rules (its Dialect) and writes the EC2 response
// and error envelopes.
package ec2query
