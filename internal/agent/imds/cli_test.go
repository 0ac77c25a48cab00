// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/imds"
	"github.com/berthdev/berth/internal/sigv4"
)

// stsRecorder is a fake STS that verifies each request's SigV4 signature
// against the expected credentials and answers GetCallerIdentity.
type stsRecorder struct {
	v        *sigv4.Verifier
	mu       sync.Mutex
	verified []string // "accessKey token"
	errs     []error
}

func newSTSRecorder(want imds.Credentials) *stsRecorder {
	return &stsRecorder{v: sigv4.New(sigv4.Config{Lookup: sigv4.LookupFunc(func(_ context.Context, ak string) (sigv4.Credential, error) {
		if ak != want.AccessKeyID {
			return sigv4.Credential{}, sigv4.ErrUnknownAccessKey
		}
		return sigv4.Credential{SecretAccessKey: want.SecretAccessKey, SessionToken: want.SessionToken}, nil
	})})}
}

func (s *stsRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	res, err := s.v.Verify(r.Context(), r, body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, err)
		w.WriteHeader(403)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error></ErrorResponse>`)
		return
	}
	s.verified = append(s.verified, res.AccessKeyID+" "+res.SessionToken)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
		`<Arn>arn:aws:sts::000000000000:assumed-role/ecsInstanceRole/i-0123456789abcdef0</Arn><UserId>AROAEXAMPLE:i-0123456789abcdef0</UserId>`+
		`<Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
}

// TestCLI_InstanceRole runs the AWS CLI with no credentials but the
// metadata service and proves it obtains the instance role credentials
// unchanged: `aws configure list` reports an iam-role key ending like
// ours, and an STS call it signs verifies against our secret and token.
//
// The CLI runs inside a network namespace the test created, holding only
// a loopback interface on which the IMDS and the fake STS listen: whatever
// the CLI does, it cannot send a packet anywhere else.
func TestCLI_InstanceRole(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed: skipping")
	}
	ns := agenttest.CreateNetNS(t)
	f := newFixture(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	imdsLn := ns.Listen(t)
	go f.srv.Serve(ctx, imdsLn)
	want := testCreds(t0.Add(time.Hour))
	sts := newSTSRecorder(want)
	stsLn := ns.Listen(t)
	go (&http.Server{Handler: sts}).Serve(stsLn)

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	empty := filepath.Join(dir, "credentials")
	endpoint := "http://" + imdsLn.Addr().String()
	os.WriteFile(cfgFile, []byte("[default]\nregion = us-east-1\nec2_metadata_service_endpoint = "+endpoint+"\n"), 0o600)
	os.WriteFile(empty, nil, 0o600)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT="+endpoint, "AWS_METADATA_SERVICE_TIMEOUT=5", "AWS_METADATA_SERVICE_NUM_ATTEMPTS=2")
	run := func(args ...string) string {
		t.Helper()
		cmd := ns.Command(aws, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	out := run("configure", "list")
	if !strings.Contains(out, "iam-role") || !strings.Contains(out, want.AccessKeyID[len(want.AccessKeyID)-4:]) {
		t.Errorf("aws configure list does not show the instance role key:\n%s", out)
	}
	out = run("sts", "get-caller-identity", "--endpoint-url", "http://"+stsLn.Addr().String(), "--output", "text")
	if !strings.Contains(out, "assumed-role/ecsInstanceRole") {
		t.Errorf("get-caller-identity: %s", out)
	}
	sts.mu.Lock()
	defer sts.mu.Unlock()
	if len(sts.errs) > 0 {
		t.Errorf("signature did not verify with the instance role secret: %v", sts.errs)
	}
	if len(sts.verified) != 1 || sts.verified[0] != want.AccessKeyID+" "+want.SessionToken {
		t.Errorf("verified requests %q, want one signed by %s with its session token", sts.verified, want.AccessKeyID)
	}
}
