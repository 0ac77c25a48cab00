// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/berthdev/berth/internal/arn"
)

// CodeMalformedPolicyDocument is the AWS error code IAM and STS return with a
// ValidationError's message (S3 uses "MalformedPolicy").
const CodeMalformedPolicyDocument = "MalformedPolicyDocument"

// ValidationError is a write-time rejection of a policy document. Message is
// the exact text AWS returns with MalformedPolicyDocument.
type ValidationError struct {
	Message string
}

// Error implements error.
func (e *ValidationError) Error() string { return "policy: malformed policy document: " + e.Message }

// AWS's messages, as IAM returns them. Sources: the IAM grammar page
// ("Grammar of the IAM JSON policy language") for the rules, and the messages
// users quote from IAM, STS and S3 (see the report in doc.go for each one).
const (
	msgSyntax            = "Syntax errors in policy."
	msgVersion           = "Policy document must be version 2012-10-17 or greater."
	msgLegacy            = "The policy failed legacy parsing"
	msgSidUnique         = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum          = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions         = "Policy statement must contain actions."
	msgNoResources       = "Policy statement must contain resources."
	msgVendor            = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon          = "Actions/Condition can contain only one colon."
	msgVendorWildcard    = "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards"
	msgNoPrincipalAllow  = "Policy document should not specify a principal."
	msgResourceNoPrinc   = "Missing required field Principal"
	msgTrustNoPrincipal  = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	msgVendorRegex       = "Resource vendor must be fully qualified and cannot contain regexes."
	msgIAMResourcePrefix = `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`
)

func syntaxError() *ValidationError { return &ValidationError{Message: msgSyntax} }

func invalid(msg string) *ValidationError { return &ValidationError{Message: msg} }

// InvalidPrincipal returns the error IAM gives for a principal it cannot
// accept, e.g. `Invalid principal in policy: "AWS":"arn:aws:iam::1:role/x"`.
// The IAM service also uses it when a named user or role does not exist,
// which this pure package cannot know.
func InvalidPrincipal(typ, value string) *ValidationError { return invalidPrincipal(typ, value) }

func invalidPrincipal(typ, value string) *ValidationError {
	if typ == "" {
		return &ValidationError{Message: "Invalid principal in policy"}
	}
	return &ValidationError{Message: fmt.Sprintf("Invalid principal in policy: %q:%q", strings.ToUpper(typ), value)}
}

// Size returns a policy's size as IAM counts it against its quotas: the
// number of characters that are not white space.
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// validate applies IAM's semantic checks in the order IAM reports them.
func validate(p *Policy, root *jsonValue) error {
	if err := validatePrincipalRules(p); err != nil {
		return err
	}
	if p.Kind == KindManaged && p.Version != Version2012 {
		return invalid(msgVersion)
	}
	if !legacyParses(p, root) {
		return invalid(msgLegacy)
	}
	if err := validateSids(p); err != nil {
		return err
	}
	for _, s := range p.Statements {
		if len(s.Actions) == 0 {
			return invalid(msgNoActions)
		}
	}
	if p.Kind != KindTrust {
		for _, s := range p.Statements {
			if len(s.Resources) == 0 {
				return invalid(msgNoResources)
			}
		}
	}
	for _, s := range p.Statements {
		// IAM reports the first malformed resource in reverse sorted order.
		rs := append([]string(nil), s.Resources...)
		sort.Sort(sort.Reverse(sort.StringSlice(rs)))
		for _, r := range rs {
			if msg := resourceFormatError(r); msg != "" {
				return invalid(msg)
			}
		}
	}
	for _, s := range p.Statements {
		for _, a := range s.Actions {
			if msg := actionError(a); msg != "" {
				return invalid(msg)
			}
		}
		for _, c := range s.Conditions {
			if !strings.Contains(c.Key, ":") {
				return invalid(msgVendor)
			}
		}
	}
	for _, s := range p.Statements {
		if s.Principal != nil {
			if err := validatePrincipals(s.Principal); err != nil {
				return err
			}
		}
	}
	return nil
}

func validatePrincipalRules(p *Policy) error {
	for _, s := range p.Statements {
		switch {
		case p.Kind.identityRules():
			if s.Principal != nil {
				return invalid(msgNoPrincipalAllow)
			}
		case p.Kind == KindResource:
			if s.Principal == nil {
				return invalid(msgResourceNoPrinc)
			}
		case p.Kind == KindTrust:
			if s.Resources != nil {
				if s.NotResource {
					return invalid("Has prohibited field NotResource")
				}
				return invalid("Has prohibited field Resource")
			}
			if s.Principal == nil {
				return invalid(msgTrustNoPrincipal)
			}
		}
	}
	return nil
}

// legacyParses mirrors IAM's legacy parser: Effect is case-sensitive there,
// date condition values must be dates, and resources must look like ARNs.
func legacyParses(p *Policy, root *jsonValue) bool {
	stmts := root.field("Statement")
	list := stmts.items
	if stmts.kind == jsonObject {
		list = []*jsonValue{stmts}
	}
	for _, sv := range list {
		if e := sv.field("Effect"); e.str != "Allow" && e.str != "Deny" {
			return false
		}
	}
	for _, s := range p.Statements {
		for _, c := range s.Conditions {
			op, _ := parseOperator(c.Operator)
			if op.family != famDate {
				continue
			}
			for _, v := range c.Values {
				if _, ok := parseDate(v); !ok {
					return false
				}
			}
		}
		for _, r := range s.Resources {
			if r == "*" || resourceFormatError(r) != "" {
				continue
			}
			if strings.Contains(r, "::") && strings.Count(r, ":") < 5 {
				return false
			}
			if parts := strings.SplitN(r, ":", 4); len(parts) < 3 || parts[2] == "" {
				return false
			}
		}
	}
	return true
}

func validateSids(p *Policy) error {
	if p.Kind != KindResource {
		for _, s := range p.Statements {
			for _, r := range s.Sid {
				if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
					return invalid(msgSidAlnum)
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range p.Statements {
		if s.Sid == "" {
			continue
		}
		if seen[s.Sid] {
			return invalid(msgSidUnique)
		}
		seen[s.Sid] = true
	}
	return nil
}

func actionError(a string) string {
	if a == "*" {
		return ""
	}
	parts := strings.Split(a, ":")
	if len(parts) == 1 {
		return msgVendor
	}
	if len(parts) > 2 {
		return msgOneColon
	}
	vendor := parts[0]
	if strings.ContainsAny(vendor, "*?") {
		return msgVendorWildcard
	}
	if vendor == "" {
		return "Vendor  is not valid"
	}
	for _, r := range vendor {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "Vendor " + vendor + " is not valid"
		}
	}
	return ""
}

// resourceFormatError returns IAM's message for a Resource that is neither
// "*" nor an ARN it accepts, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)
	}
	partition, rest, hasColon := strings.Cut(rest, ":")
	if !validPartition(partition) {
		parts := strings.Split(rest, ":")
		get := func(i int) string {
			if i < len(parts) && (parts[i] != "" || len(parts) > 1) {
				return parts[i]
			}
			return "*"
		}
		a4 := "*"
		if len(parts) > 3 {
			a4 = strings.Join(parts[3:], ":")
		}
		return fmt.Sprintf("Partition %q is not valid for resource \"arn:%s:%s:%s:%s:%s\".", partition, partition, get(0), get(1), get(2), a4)
	}
	if !hasColon {
		return msgVendorRegex
	}
	service, rest, _ := strings.Cut(rest, ":")
	if (service == "iam" || service == "s3") && !strings.HasPrefix(rest, ":") {
		if service == "iam" {
			return fmt.Sprintf("IAM resource %s cannot contain region information.", r)
		}
		return fmt.Sprintf("Resource %s can not contain region information.", r)
	}
	if service == "iam" {
		_, rest, _ = strings.Cut(rest, ":") // region
		_, res, _ := strings.Cut(rest, ":") // account
		if res != "*" && !strings.HasPrefix(res, "${") {
			ok := false
			for _, pre := range iamResourcePrefixes {
				if strings.HasPrefix(res, pre) {
					ok = true
					break
				}
			}
			if !ok && res != "root" {
				return msgIAMResourcePrefix
			}
		}
	}
	return ""
}

var iamResourcePrefixes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

func validPartition(p string) bool {
	switch p {
	case "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "*":
		return true
	}
	return false
}

// validatePrincipals checks the form of every principal value. Whether a
// named user or role exists is the IAM service's check (InvalidPrincipal).
func validatePrincipals(p *Principals) error {
	for _, v := range p.AWS {
		if !validAWSPrincipal(v) {
			return invalidPrincipal("AWS", v)
		}
	}
	for _, v := range p.Service {
		if !validServicePrincipal(v) {
			return invalidPrincipal("Service", v)
		}
	}
	for _, v := range p.Federated {
		if v == "" || strings.ContainsAny(v, "*?") {
			return invalidPrincipal("Federated", v)
		}
	}
	for _, v := range p.CanonicalUser {
		if v == "" || strings.ContainsAny(v, "*?") {
			return invalidPrincipal("CanonicalUser", v)
		}
	}
	return nil
}

// validAWSPrincipal accepts "*", an account id, and the account, user, role,
// assumed-role and federated-user ARNs the Principal element documents, plus
// the unique ids IAM shows for deleted entities (AIDA..., AROA...).
func validAWSPrincipal(v string) bool {
	if v == "*" || arn.IsAccountID(v) {
		return true
	}
	if len(v) == 21 && (strings.HasPrefix(v, "AIDA") || strings.HasPrefix(v, "AROA")) {
		return true
	}
	if strings.ContainsAny(v, "*?") {
		return false // wildcards cannot match part of a principal
	}
	a, ok := splitARN(v)
	if !ok || !validPartition(a.partition) || a.partition == "*" || !arn.IsAccountID(a.account) || a.region != "" {
		return false
	}
	switch a.service {
	case "iam":
		return a.resource == "root" ||
			strings.HasPrefix(a.resource, "user/") && len(a.resource) > len("user/") ||
			strings.HasPrefix(a.resource, "role/") && len(a.resource) > len("role/")
	case "sts":
		if rest, ok := strings.CutPrefix(a.resource, "assumed-role/"); ok {
			role, sess, ok := strings.Cut(rest, "/")
			return ok && role != "" && sess != "" && !strings.Contains(sess, "/")
		}
		rest, ok := strings.CutPrefix(a.resource, "federated-user/")
		return ok && rest != ""
	}
	return false
}

func validServicePrincipal(v string) bool {
	if v == "*" {
		return true
	}
	name, ok := strings.CutSuffix(v, ".amazonaws.com")
	if !ok {
		name, ok = strings.CutSuffix(v, ".amazonaws.com.cn")
	}
	if !ok || name == "" {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// parseEpoch parses a decimal count of seconds.
func parseEpoch(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}
