// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
)

// Constraints from the STS model (models/apis/sts/2011-06-15/api-2.json).
const (
	minDuration            = 900    // durationSecondsType, roleDurationSecondsType
	maxRoleDuration        = 43200  // roleDurationSecondsType
	maxSessionTokenSeconds = 129600 // durationSecondsType
	maxTags                = 50     // tagListType, tagKeyListType
	maxPolicyArns          = 10     // AssumeRole: "You can provide up to 10 managed policy ARNs"
	maxPolicyPlaintext     = 2048   // "The plaintext ... can't exceed 2,048 characters"
)

// The model's patterns, anchored. Go's \w is ASCII [0-9A-Za-z_] like Java's.
var (
	reSessionName = regexp.MustCompile(`^[\w+=,.@-]*$`)
	reExternalID  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	reSerial      = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	reTokenCode   = regexp.MustCompile(`^\d*$`)
	reTagKey      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	reTagValue    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	reAccessKeyID = regexp.MustCompile(`^\w*$`)
)

// The pattern texts as AWS prints them in violation messages.
const (
	patSessionName = `[\w+=,.@-]*`
	patExternalID  = `[\w+=,.@:\/-]*`
	patSerial      = `[\w+=/:,.@-]*`
	patTokenCode   = `[\d]*`
	patTagKey      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	patTagValue    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	patAccessKeyID = `[\w]*`
	patPolicy      = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	patARN         = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
)

// violations collects model-constraint failures and renders them the way
// AWS's request validation does: "2 validation errors detected: Value 'x'
// at 'roleSessionName' failed to satisfy constraint: ...; Value ...".
type violations []string

// add records that the value at field breaks constraint. An empty value
// renders without the quoted value (as AWS does for lists and for values
// it does not echo).
func (v *violations) add(field string, value *string, constraint string) {
	if value == nil {
		*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", field, constraint))
		return
	}
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", *value, field, constraint))
}

func (v *violations) required(field string, s *string) {
	if s == nil {
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
}

// str checks a string's length and pattern; a nil s passes.
func (v *violations) str(field string, s *string, minLen, maxLen int, re *regexp.Regexp, pattern string) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < minLen {
		v.add(field, s, "Member must have length greater than or equal to "+strconv.Itoa(minLen))
	}
	if maxLen > 0 && n > maxLen {
		v.add(field, s, "Member must have length less than or equal to "+strconv.Itoa(maxLen))
	}
	if re != nil && !re.MatchString(*s) {
		v.add(field, s, "Member must satisfy regular expression pattern: "+pattern)
	}
}

// runes checks that every rune of s satisfies ok; AWS reports such
// character-class patterns like any other.
func (v *violations) runes(field string, s *string, echo bool, ok func(rune) bool, pattern string) {
	if s == nil {
		return
	}
	for _, r := range *s {
		if !ok(r) {
			val := s
			if !echo {
				val = nil
			}
			v.add(field, val, "Member must satisfy regular expression pattern: "+pattern)
			return
		}
	}
}

func (v *violations) intRange(field string, n *int32, minV, maxV int32) {
	if n == nil {
		return
	}
	val := strconv.Itoa(int(*n))
	if *n < minV {
		v.add(field, &val, "Member must have value greater than or equal to "+strconv.Itoa(int(minV)))
	}
	if *n > maxV {
		v.add(field, &val, "Member must have value less than or equal to "+strconv.Itoa(int(maxV)))
	}
}

func (v *violations) listMax(field string, n, maxLen int) {
	if n > maxLen {
		v.add(field, nil, "Member must have length less than or equal to "+strconv.Itoa(maxLen))
	}
}

// err returns the ValidationError for the collected violations, or nil.
func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: %s", v[0])
	default:
		return validationError("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
}

// validationError is STS's ValidationError (awsQuery, HTTP 400).
func validationError(format string, args ...any) *awserr.Error {
	return awserr.Validation(awserr.CodeValidationError, format, args...)
}

// invalidParameter is STS's InvalidParameterValue (HTTP 400), the code it
// uses for semantic errors in session tags.
func invalidParameter(format string, args ...any) *awserr.Error {
	return awserr.New(awserr.CodeInvalidParameterValue, http.StatusBadRequest, format, args...)
}

// accessDenied is STS's AccessDenied (HTTP 403).
func accessDenied(cause error, format string, args ...any) *awserr.Error {
	return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, format, args...).WithCause(cause)
}

// isPolicyRune is the sessionPolicyDocumentType character class.
func isPolicyRune(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF)
}

// isARNRune is the arnType character class.
func isARNRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0x7E, r == 0x85, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// validateTags checks session tags and transitive tag keys against the
// model (the ValidationError part) into v.
func validateTags(v *violations, tags []stsapi.Tag, transitive []string) {
	v.listMax("tags", len(tags), maxTags)
	for i, t := range tags {
		prefix := "tags." + strconv.Itoa(i+1) + ".member."
		v.required(prefix+"key", t.Key)
		v.str(prefix+"key", t.Key, 1, 128, reTagKey, patTagKey)
		v.required(prefix+"value", t.Value)
		v.str(prefix+"value", t.Value, 0, 256, reTagValue, patTagValue)
	}
	v.listMax("transitiveTagKeys", len(transitive), maxTags)
	for i, k := range transitive {
		v.str("transitiveTagKeys."+strconv.Itoa(i+1)+".member", &k, 1, 128, reTagKey, patTagKey)
	}
}

// validateAssumeRole checks an AssumeRole input against the model.
func validateAssumeRole(in *stsapi.AssumeRoleInput) error {
	var v violations
	v.required("roleArn", in.RoleArn)
	v.str("roleArn", in.RoleArn, 20, 2048, nil, "")
	v.runes("roleArn", in.RoleArn, true, isARNRune, patARN)
	v.required("roleSessionName", in.RoleSessionName)
	v.str("roleSessionName", in.RoleSessionName, 2, 64, reSessionName, patSessionName)
	v.listMax("policyArns", len(in.PolicyArns), maxPolicyArns)
	for i, p := range in.PolicyArns {
		field := "policyArns." + strconv.Itoa(i+1) + ".member.arn"
		v.required(field, p.Arn)
		v.str(field, p.Arn, 20, 2048, nil, "")
		v.runes(field, p.Arn, true, isARNRune, patARN)
	}
	// The policy is not echoed: it may be long.
	if in.Policy != nil {
		n := utf8.RuneCountInString(*in.Policy)
		if n < 1 {
			v.add("policy", nil, "Member must have length greater than or equal to 1")
		}
		if n > maxPolicyPlaintext {
			v.add("policy", nil, "Member must have length less than or equal to "+strconv.Itoa(maxPolicyPlaintext))
		}
		v.runes("policy", in.Policy, false, isPolicyRune, patPolicy)
	}
	v.intRange("durationSeconds", in.DurationSeconds, minDuration, maxRoleDuration)
	validateTags(&v, in.Tags, in.TransitiveTagKeys)
	v.str("externalId", in.ExternalId, 2, 1224, reExternalID, patExternalID)
	v.str("serialNumber", in.SerialNumber, 9, 256, reSerial, patSerial)
	v.str("tokenCode", in.TokenCode, 6, 6, reTokenCode, patTokenCode)
	v.str("sourceIdentity", in.SourceIdentity, 2, 64, reSessionName, patSessionName)
	return v.err()
}

// validateSessionTags applies STS's semantic tag rules after the model
// checks: keys are unique ignoring case, every transitive key names a
// requested tag, and no requested tag overrides a transitive tag the
// calling session carries (inherited, lower-cased keys).
func validateSessionTags(tags []stsapi.Tag, transitive []string, inherited map[string]bool) error {
	keys := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(*t.Key)
		if keys[k] {
			return invalidParameter("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		keys[k] = true
	}
	for _, k := range transitive {
		if !keys[strings.ToLower(k)] {
			return invalidParameter("The specified transitive tag key must be included in the requested tags.")
		}
	}
	for k := range keys {
		if inherited[k] {
			return invalidParameter("One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
		}
	}
	return nil
}
