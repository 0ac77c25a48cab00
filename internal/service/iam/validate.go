// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
)

// Constraints from the IAM model (models/apis/iam/2010-05-08/api-2.json).
const (
	maxUserName            = 64     // userNameType
	maxRoleName            = 64     // roleNameType
	maxGroupName           = 128    // groupNameType
	maxPolicyName          = 128    // policyNameType
	maxInstanceProfileName = 128    // instanceProfileNameType
	maxExistingUserName    = 128    // existingUserNameType (the user of an existing entity)
	maxPath                = 512    // pathType, pathPrefixType, policyPathType
	maxDocument            = 131072 // policyDocumentType
	maxDescription         = 1000   // roleDescriptionType, policyDescriptionType
	minSessionDuration     = 3600   // roleMaxSessionDurationType
	maxSessionDuration     = 43200
	minARN                 = 20 // arnType
	maxARN                 = 2048
	minAccessKeyID         = 16 // accessKeyIdType
	maxAccessKeyID         = 128
	maxTags                = 50 // tagListType, tagKeyListType
	maxMarker              = 320
	maxPassword            = 128 // passwordType
)

// The model's patterns, anchored. Go's \w is ASCII [0-9A-Za-z_] like Java's.
var (
	reName       = regexp.MustCompile(`^[\w+=,.@-]+$`)
	rePath       = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	rePathPrefix = regexp.MustCompile(`^/[\x21-\x7F]*$`)
	rePolicyPath = regexp.MustCompile(`^((/[A-Za-z0-9.,+@=_-]+)*)/$`)
	reTagKey     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	reTagValue   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	reWord       = regexp.MustCompile(`^\w+$`)
	reVersionID  = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)
	reMarker     = regexp.MustCompile(`^[\x20-\xFF]+$`)
)

// The pattern texts as AWS prints them in violation messages.
const (
	patName        = `[\w+=,.@-]+`
	patPath        = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	patPathPrefix  = `\u002F[\u0021-\u007F]*`
	patPolicyPath  = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	patTagKey      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	patTagValue    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	patWord        = `[\w]+`
	patVersionID   = `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
	patDocument    = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	patDescription = `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`
	patMarker      = `[\u0020-\u00FF]+`
	patPassword    = `[\u0009\u000A\u000D\u0020-\u00FF]+`
)

// violations collects model-constraint failures and renders them the way
// AWS's request validation does: "2 validation errors detected: Value 'x'
// at 'roleName' failed to satisfy constraint: ...; Value ...".
type violations []string

// add records that the value at field breaks constraint. A nil value
// renders without the quoted value (as AWS does for lists and for values
// it does not echo, such as passwords).
func (v *violations) add(field string, value *string, constraint string) {
	if value == nil {
		*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", field, constraint))
		return
	}
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", *value, field, constraint))
}

// required records a missing required member.
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

// runes checks that every rune of s satisfies ok. echo false leaves the
// value out of the message (documents and passwords).
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

// intRange checks an integer member's bounds; a nil n passes.
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

// enum checks that s is one of values; a nil s passes.
func (v *violations) enum(field string, s *string, values []string) {
	if s == nil {
		return
	}
	for _, e := range values {
		if *s == e {
			return
		}
	}
	v.add(field, s, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
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

// The member-specific checks, named after the model shape they enforce.

func (v *violations) name(field string, s *string, maxLen int) {
	v.str(field, s, 1, maxLen, reName, patName)
}

func (v *violations) requiredName(field string, s *string, maxLen int) {
	v.required(field, s)
	v.name(field, s, maxLen)
}

func (v *violations) path(field string, s *string) {
	v.str(field, s, 1, maxPath, rePath, patPath)
}

func (v *violations) pathPrefix(field string, s *string) {
	v.str(field, s, 1, maxPath, rePathPrefix, patPathPrefix)
}

func (v *violations) policyPath(field string, s *string) {
	v.str(field, s, 1, maxPath, rePolicyPath, patPolicyPath)
}

func (v *violations) arn(field string, s *string) {
	v.str(field, s, minARN, maxARN, nil, "")
}

func (v *violations) requiredARN(field string, s *string) {
	v.required(field, s)
	v.arn(field, s)
}

// document checks a policy document against policyDocumentType. AWS does
// not echo documents in these messages.
func (v *violations) document(field string, s *string) {
	v.required(field, s)
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < 1 {
		v.add(field, nil, "Member must have length greater than or equal to 1")
	}
	if n > maxDocument {
		v.add(field, nil, "Member must have length less than or equal to "+strconv.Itoa(maxDocument))
	}
	v.runes(field, s, false, isDocumentRune, patDocument)
}

func (v *violations) versionID(field string, s *string) {
	v.required(field, s)
	v.str(field, s, 0, 0, reVersionID, patVersionID)
}

func (v *violations) accessKeyID(field string, s *string) {
	v.required(field, s)
	v.str(field, s, minAccessKeyID, maxAccessKeyID, reWord, patWord)
}

// page checks the Marker and MaxItems members every List operation has.
func (v *violations) page(marker *string, maxItems *int32) {
	v.str("marker", marker, 1, maxMarker, reMarker, patMarker)
	v.intRange("maxItems", maxItems, 1, 1000)
}

// tags checks a tag list against tagListType.
func (v *violations) tags(tags []iamapi.Tag) {
	v.listMax("tags", len(tags), maxTags)
	for i, t := range tags {
		prefix := "tags." + strconv.Itoa(i+1) + ".member."
		v.required(prefix+"key", t.Key)
		v.str(prefix+"key", t.Key, 1, 128, reTagKey, patTagKey)
		v.required(prefix+"value", t.Value)
		v.str(prefix+"value", t.Value, 0, 256, reTagValue, patTagValue)
	}
}

// tagKeys checks a tag key list against tagKeyListType.
func (v *violations) tagKeys(keys []string) {
	v.listMax("tagKeys", len(keys), maxTags)
	for i, k := range keys {
		v.str("tagKeys."+strconv.Itoa(i+1)+".member", &k, 1, 128, reTagKey, patTagKey)
	}
}

// isDocumentRune is the policyDocumentType character class.
func isDocumentRune(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF)
}

// isDescriptionRune is the roleDescriptionType character class.
func isDescriptionRune(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7E) || (r >= 0xA1 && r <= 0xFF)
}

// The error constructors IAM's handlers use; each names the AWS code.

// validationError is IAM's ValidationError (awsQuery, HTTP 400).
func validationError(format string, args ...any) *awserr.Error {
	return awserr.Validation(awserr.CodeValidationError, format, args...)
}

// noSuchEntity is NoSuchEntity (HTTP 404).
func noSuchEntity(format string, args ...any) *awserr.Error {
	return iamapi.ErrNoSuchEntity(format, args...)
}

// alreadyExists is EntityAlreadyExists (HTTP 409).
func alreadyExists(format string, args ...any) *awserr.Error {
	return iamapi.ErrEntityAlreadyExists(format, args...)
}

// deleteConflict is DeleteConflict (HTTP 409).
func deleteConflict(format string, args ...any) *awserr.Error {
	return iamapi.ErrDeleteConflict(format, args...)
}

// limitExceeded is LimitExceeded (HTTP 409).
func limitExceeded(format string, args ...any) *awserr.Error {
	return iamapi.ErrLimitExceeded(format, args...)
}

// invalidInput is InvalidInput (HTTP 400).
func invalidInput(format string, args ...any) *awserr.Error {
	return iamapi.ErrInvalidInput(format, args...)
}

// quotaExceeded is IAM's LimitExceeded for a counted quota:
// "Cannot exceed quota for PoliciesPerRole: 10".
func quotaExceeded(quota string, n int) *awserr.Error {
	return limitExceeded("Cannot exceed quota for %s: %d", quota, n)
}
