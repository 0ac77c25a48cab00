// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2query_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol"
	"github.com/berthdev/berth/internal/protocol/ec2query"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

var (
	_ protocol.Codec    = (*ec2query.Codec)(nil)
	_ protocol.Resolver = (*ec2query.Codec)(nil)
)

func post(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

func TestCodec_For(t *testing.T) {
	if _, ok := protocol.For(ec2api.Definition).(*ec2query.Codec); !ok {
		t.Fatalf("protocol.For(ec2) = %T, want *ec2query.Codec", protocol.For(ec2api.Definition))
	}
}

func TestCodec_ResolveOperation(t *testing.T) {
	c := ec2query.New(ec2api.Definition)
	tests := []struct {
		name, body, wantOp, wantCode string
	}{
		{"modelled", "Action=DescribeInstances&Version=2016-11-15", "DescribeInstances", ""},
		{"known without types", "Action=DescribeVpcs&Version=2016-11-15", "DescribeVpcs", ""},
		{"unknown", "Action=LaunchRocket&Version=2016-11-15", "", "InvalidAction"},
		{"missing", "Version=2016-11-15", "", "MissingAction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op, err := c.ResolveOperation(post(tc.body))
			var ae *awserr.Error
			switch {
			case tc.wantCode != "":
				if !errors.As(err, &ae) || ae.Code != tc.wantCode {
					t.Fatalf("err = %v, want %s", err, tc.wantCode)
				}
			case err != nil || op.Name != tc.wantOp:
				t.Fatalf("op = %v, %v; want %s", op, err, tc.wantOp)
			}
		})
	}
}

func TestCodec_DecodeInput(t *testing.T) {
	c := ec2query.New(ec2api.Definition)
	tests := []struct {
		name     string
		op, body string
		want     any
		wantCode string
		wantMsg  string
	}{
		{
			name: "association with nested structure",
			op:   "AssociateIamInstanceProfile",
			body: "Action=AssociateIamInstanceProfile&IamInstanceProfile.Arn=arn%3Aaws%3Aiam%3A%3A1%3Ainstance-profile%2Fp&InstanceId=i-1",
			want: &ec2api.AssociateIamInstanceProfileInput{
				IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Arn: aws.String("arn:aws:iam::1:instance-profile/p")},
				InstanceId:         aws.String("i-1"),
			},
		},
		{
			name: "lists are numbered under their capitalized locationName",
			op:   "CreateTags",
			body: "Action=CreateTags&ResourceId.1=i-1&ResourceId.2=i-2&Tag.1.Key=a&Tag.1.Value=&DryRun=true",
			want: &ec2api.CreateTagsInput{Resources: []string{"i-1", "i-2"},
				Tags: []ec2api.Tag{{Key: aws.String("a"), Value: aws.String("")}}, DryRun: aws.Bool(true)},
		},
		{
			name: "empty list",
			op:   "TerminateInstances",
			body: "Action=TerminateInstances&InstanceId=",
			want: &ec2api.TerminateInstancesInput{InstanceIds: []string{}},
		},
		{
			name:     "missing required parameter",
			op:       "TerminateInstances",
			body:     "Action=TerminateInstances",
			wantCode: "MissingParameter",
			wantMsg:  "The request must contain the parameter InstanceId",
		},
		{
			name:     "bad number",
			op:       "DescribeInstances",
			body:     "Action=DescribeInstances&MaxResults=many",
			wantCode: "InvalidParameterValue",
			wantMsg:  "Value (many) for parameter MaxResults is invalid. Expected a valid integer.",
		},
		{
			name:     "bad index",
			op:       "DescribeInstances",
			body:     "Action=DescribeInstances&InstanceId.x=i-1",
			wantCode: "InvalidParameter",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := ec2api.Definition.Operations[tc.op]
			in := op.NewInput()
			err := c.DecodeInput(post(tc.body), op, in)
			if tc.wantCode != "" {
				var ae *awserr.Error
				if !errors.As(err, &ae) || ae.Code != tc.wantCode || ae.HTTPStatus != http.StatusBadRequest ||
					(tc.wantMsg != "" && ae.Message != tc.wantMsg) {
					t.Fatalf("err = %#v, want %s %q", err, tc.wantCode, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, in, protocoltest.CmpOpts...); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCodec_EncodeOutput(t *testing.T) {
	c := ec2query.New(ec2api.Definition)
	op := ec2api.Definition.Operations["DescribeIamInstanceProfileAssociations"]
	out := &ec2api.DescribeIamInstanceProfileAssociationsOutput{
		IamInstanceProfileAssociations: []ec2api.IamInstanceProfileAssociation{{
			AssociationId: aws.String("iip-assoc-1"), InstanceId: aws.String("i-1"), State: aws.String("associated"),
			IamInstanceProfile: &ec2api.IamInstanceProfile{Arn: aws.String("arn:p"), Id: aws.String("AIPA1")},
		}},
	}
	w := httptest.NewRecorder()
	if err := c.EncodeOutput(w, op, out, "req-1"); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<DescribeIamInstanceProfileAssociationsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
		`<requestId>req-1</requestId><iamInstanceProfileAssociationSet><item><associationId>iip-assoc-1</associationId>` +
		`<instanceId>i-1</instanceId><iamInstanceProfile><arn>arn:p</arn><id>AIPA1</id></iamInstanceProfile>` +
		`<state>associated</state></item></iamInstanceProfileAssociationSet></DescribeIamInstanceProfileAssociationsResponse>`
	if diff := cmp.Diff(want, w.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/xml;charset=UTF-8" {
		t.Errorf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestCodec_EncodeError(t *testing.T) {
	c := ec2query.New(ec2api.Definition)
	tests := []struct {
		name       string
		err        *awserr.Error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"modelled", ec2api.ErrIncorrectState("There is an existing association for instance i-1"), 400,
			"IncorrectState", "There is an existing association for instance i-1"},
		{"denial", awserr.New(awserr.CodeAccessDenied, 403, "User: arn:aws:iam::1:user/u is not authorized to perform: ec2:RunInstances"), 403,
			"UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::1:user/u is not authorized to perform: ec2:RunInstances"},
		{"unknown key", awserr.New(awserr.CodeUnrecognizedClient, 400, "The security token included in the request is invalid."), 401,
			"AuthFailure", "AWS was not able to validate the provided access credentials"},
		{"expired session", awserr.New(awserr.CodeExpiredToken+"Exception", 400, "expired"), 400, "RequestExpired", "Request has expired."},
		{"not implemented", awserr.NotImplemented("ec2", "DescribeVpcs"), 501, "NotImplemented", "berth does not implement ec2.DescribeVpcs yet"},
		{"nil is internal", nil, 500, "InternalFailure", "We encountered an internal error. Please try again."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c.EncodeError(w, tc.err, "req-9")
			want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Errors><Error><Code>` + tc.wantCode +
				`</Code><Message>` + tc.wantMsg + `</Message></Error></Errors><RequestID>req-9</RequestID></Response>`
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if diff := cmp.Diff(want, w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}
