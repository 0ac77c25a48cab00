// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package filterpattern

import (
	"errors"
	"strings"
	"testing"
)

// The examples below come from AWS's "Filter pattern syntax for metric
// filters, subscription filters, filter log events, and Live Tail":
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html

type matchCase struct {
	pattern string
	msg     string
	want    bool
}

func runMatch(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		if got := p.Match(tc.msg); got != tc.want {
			t.Errorf("Parse(%q).Match(%q) = %v, want %v", tc.pattern, tc.msg, got, tc.want)
		}
		if p.kind == kindJSON {
			if got := p.json.matchDecoded(tc.msg); got != tc.want {
				t.Errorf("Parse(%q): encoding/json oracle on %q = %v, want %v", tc.pattern, tc.msg, got, tc.want)
			}
		}
	}
}

const (
	err400 = "[ERROR 400] BAD REQUEST"
	err401 = "[ERROR 401] UNAUTHORIZED REQUEST"
	err419 = "[ERROR 419] MISSING ARGUMENTS"
	err420 = "[ERROR 420] INVALID ARGUMENTS"
	err500 = "[ERROR 500] INTERNAL SERVER ERROR"
)

func TestMatch_Unstructured(t *testing.T) {
	runMatch(t, []matchCase{
		// Match a single term.
		{"ERROR", err400, true},
		{"ERROR", err420, true},
		{"ERROR", "[INFO] all good", false},
		{"ERROR", "[error 400] bad request", false}, // case-sensitive
		// Match multiple terms.
		{"ERROR ARGUMENTS", err419, true},
		{"ERROR ARGUMENTS", err420, true},
		{"ERROR ARGUMENTS", err400, false},
		{"ERROR ARGUMENTS", err401, false},
		{`"ERROR" "ARGUMENTS"`, err419, true},
		// Match optional terms.
		{"?ERROR ?ARGUMENTS", err400, true},
		{"?ERROR ?ARGUMENTS", err419, true},
		{"?ERROR ?ARGUMENTS", "[WARN] MISSING ARGUMENTS", true},
		{"?ERROR ?ARGUMENTS", "[INFO] REQUEST FAILED", false},
		// ? mixed with other terms: the ? terms are ignored.
		{"?ERROR ?ARGUMENTS REQUEST", "[INFO] REQUEST FAILED", true},
		{"?ERROR ?ARGUMENTS REQUEST", "[WARN] UNAUTHORIZED REQUEST", true},
		{"?ERROR ?ARGUMENTS REQUEST", "[ERROR] 400 BAD REQUEST", true},
		{"?ERROR ?ARGUMENTS REQUEST", err419, false},
		// Match exact phrases.
		{`"INTERNAL SERVER ERROR"`, err500, true},
		{`"INTERNAL SERVER ERROR"`, "INTERNAL ERROR SERVER", false},
		{`"ERROR 500"`, err500, true},
		{`"user-service: timeout"`, "x user-service: timeout", true},
		{`"say \"hi\""`, `they say "hi" loudly`, true},
		{`"back\\slash"`, `a back\slash b`, true},
		// Include and exclude terms.
		{"ERROR -ARGUMENTS", err400, true},
		{"ERROR -ARGUMENTS", err401, true},
		{"ERROR -ARGUMENTS", err419, false},
		{"ERROR -ARGUMENTS", err420, false},
		{"-ERROR", "[INFO] fine", true},
		{"-ERROR", err400, false},
		{`-"BAD REQUEST"`, err401, true},
		{`-"BAD REQUEST"`, err400, false},
		// Match everything.
		{`" "`, err400, true},
		{`" "`, "", true},
		{"", "anything", true},
		{"   ", "anything", true},
		// Terms are substrings.
		{"AUTH", err401, true},
		{"404", "GET /x 404 12", true},
		{"snake_case", "a snake_case b", true},
	})
}

func TestMatch_Regex(t *testing.T) {
	runMatch(t, []matchCase{
		{"%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", true},
		{"%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST", true},
		{"%AUTHORIZED%", "[SUCCESS 200] OK", false},
		{"%^[hc]at%", "hat trick", true},
		{"%^[hc]at%", "the cat", false},
		{"%[hc]at$%", "the cat", true},
		{"%[hc]at$%", "cat nap", false},
		{"%colou?r%", "color", true},
		{"%colou?r%", "colour", true},
		{"%[abcx-z]%", "y", true},
		{"%[abcx-z]%", "m", false},
		{"%a{3,5}%", "baaab", true},
		{"%a{3,5}%", "baab", false},
		{"%a{3, 5}%", "aaaa", true},
		{"%^a{,2}b%", "aab", true},
		{"%^a{,2}b$%", "aaab", false},
		{"%^a{2,}b$%", "aaaab", true},
		{"%gra|ey%", "gray", true},
		{"%gra|ey%", "grey", true},
		{"%^starting|^initializing|^shutting down%", "shutting down now", true},
		{"%^starting|^initializing|^shutting down%", "skipping initializing x", false},
		{`%abcc|ab[^c]$%`, "abcc x", true},
		{`%abcc|ab[^c]$%`, "x aba", true},
		{`%abcc|ab[^c]$%`, "aac x", false},
		{`%\[.\]%`, "[a]", true},
		{`%\[.\]%`, "[ ]", true},
		{`%\[.\]%`, "[ab]", false},
		{`%10\.10\.0\.1%`, "from 10.10.0.1", true},
		{`%10\.10\.0\.1%`, "from 10010,051", false},
		{`%10.10.0.1%`, "from 10010,051", true},
		{"%ab*c%", "ac", true},
		{"%ab*c%", "abbbc", true},
		{"%ab[0-9]*%", "ab129", true},
		{"%ab+c%", "abbc", true},
		{"%ab+c%", "ac", false},
		{"%.at%", " at", true},
		{"%.at%", "#at", true},
		{`%\d%`, "x9", true},
		{`%\d%`, "xy", false},
		{`%^\D+$%`, "xy", true},
		{`%\s%`, "a\tb", true},
		{`%^\S+$%`, "a b", false},
		{`%^\w+$%`, "a_B9", true},
		{`%\W%`, "a_B9", false},
		{`%\x3A%`, "a:b", true},
		{`%\x28%`, "f(x)", true},
		{`%user@host:/a;b,c#d=e%`, "user@host:/a;b,c#d=e", true},
	})
}

func TestMatch_JSON(t *testing.T) {
	event := `{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", ` +
		`"arrayKey": ["value", "another value"], ` +
		`"objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], ` +
		`"SomeObject": null, "cluster.name": "c", "ThisFlag": true, "OtherFlag": false}`
	compound := `{"user": {"id": 1, "email": "John.Stiles@example.com"}, ` +
		`"users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}], ` +
		`"actions": ["GET", "PUT", "DELETE"], "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}`
	numbers := `{"bandwidth": 80, "latency": 40, "refreshRate": 60, "responseTime": 5, ` +
		`"errorCode": 400, "number": [1000, 0.002], "ratio": "12.5"}`
	runMatch(t, []matchCase{
		{`{ $.eventType = "UpdateTrail" }`, event, true},
		{`{ $.eventType = "DeleteTrail" }`, event, false},
		{`{$.eventType="UpdateTrail"}`, event, true},
		{`{ $.eventType = UpdateTrail }`, event, true},
		{`{ $.eventType = "Update*" }`, event, true},
		{`{ $.eventType = *Trail }`, event, true},
		{`{ $.eventType = "*" }`, event, true},
		{`{ $.eventType != "UpdateTrail" }`, event, false},
		{`{ $.sourceIPAddress != 123.123.* }`, event, true},
		{`{ $.sourceIPAddress = 111.111.* }`, event, true},
		{`{ $.arrayKey[0] = "value" }`, event, true},
		{`{ $.arrayKey[1] = "value" }`, event, false},
		{`{ $.arrayKey[5] = "value" }`, event, false},
		{`{ $.objectList[1].id = 2 }`, event, true},
		{`{ $.objectList[0].id = 2 }`, event, false},
		{`{ $.eventType = %Trail% }`, event, true},
		{`{ $.eventType = %^Trail% }`, event, false},
		{`{ $.arrayKey[*] = %val.{2}% }`, event, true},
		{`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, event, true},
		{`{ $.objectList[*].name = "b" }`, event, true},
		{`{ $.objectList[*].name = "z" }`, event, false},
		{`{ $.['cluster.name'] = "c" }`, event, true},
		{`{ $.cluster.name = "c" }`, event, false},
		{`{ $.SomeObject IS NULL }`, event, true},
		{`{ $.eventType IS NULL }`, event, false},
		{`{ $.Missing IS NULL }`, event, false},
		{`{ $.SomeOtherObject NOT EXISTS }`, event, true},
		{`{ $.SomeObject NOT EXISTS }`, event, false},
		{`{ $.objectList[0].name NOT EXISTS }`, event, false},
		{`{ $.ThisFlag IS TRUE }`, event, true},
		{`{ $.ThisFlag IS FALSE }`, event, false},
		{`{ $.OtherFlag IS FALSE }`, event, true},
		{`{ $.eventType IS TRUE }`, event, false},
		// A selector that lands on an array or object never matches.
		{`{ $.arrayKey = "*" }`, event, false},
		{`{ $.objectList[0] != "x" }`, event, false},
		// != needs the property to exist.
		{`{ $.Missing != "x" }`, event, false},
		// Numbers.
		{`{ $.bandwidth > 75 }`, numbers, true},
		{`{ $.bandwidth > 80 }`, numbers, false},
		{`{ $.latency < 50 }`, numbers, true},
		{`{ $.refreshRate >= 60 }`, numbers, true},
		{`{ $.refreshRate >= 61 }`, numbers, false},
		{`{ $.responseTime <= 5 }`, numbers, true},
		{`{ $.errorCode = 400}`, numbers, true},
		{`{ $.errorCode = 4* }`, numbers, true},
		{`{ $.errorCode != 500 }`, numbers, true},
		{`{ $.errorCode != 400 }`, numbers, false},
		{`{ $.number[0] = 1e+3 }`, numbers, true},
		{`{ $.number[1] != 1e-3 }`, numbers, true},
		{`{ $.number[1] = 2e-3 }`, numbers, true},
		{`{ $.number[0] = -1000 }`, numbers, false},
		{`{ $.ratio > 12 }`, numbers, true},
		{`{ $.errorCode > 1 }`, event, false},
		// Compound expressions: () > && > ||.
		{`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, compound, true},
		{`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }`, compound, true},
		{`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }`, compound, false},
		{`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, compound, false},
		{`{ $.coordinates[1][2] = 6 && $.actions[2] = "DELETE" }`, compound, true},
		{`{ (($.user.id = 1)) }`, compound, true},
		// Messages that are not JSON never match.
		{`{ $.eventType = "UpdateTrail" }`, `eventType=UpdateTrail`, false},
		{`{ $.eventType NOT EXISTS }`, `plain text`, false},
		{`{ $.eventType = "UpdateTrail" }`, `{"eventType": "UpdateTrail"`, false},
		{`{ $.eventType = "UpdateTrail" }`, `{"eventType": "UpdateTrail"} trailing`, false},
		{`{ $.eventType = "UpdateTrail" }`, "  {\"eventType\": \"UpdateTrail\"}\n", true},
		{`{ $[1].a = 1 }`, `[{"a": 0}, {"a": 1}]`, true},
	})
}

func TestMatch_SpaceDelimited(t *testing.T) {
	access := `127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`
	info := "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200"
	post := "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310"
	warn := "WARNING 09/25/2014 12:00:02 Invalid user request"
	errLine := "ERROR 09/25/2014 12:00:02 Failed to process request"
	runMatch(t, []matchCase{
		{`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, access, true},
		{`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`,
			strings.Replace(access, "127.0.0.1", "127.0.0.0", 1), false},
		{`[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, access, true},
		{`[ip, user, username, timestamp, request =*.html*, status_code = 5*, bytes]`, access, false},
		{`[..., request =*.html*, status_code = 4*, bytes]`, access, true},
		{`[..., request =*.php*, status_code = 4*, bytes]`, access, false},
		{`[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, access, true},
		{`[ip, user, username, timestamp, request, status_code = 200 || status_code = 410, bytes]`, access, false},
		{`[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", request, status_code, bytes > 1000]`, access, true},
		{`[ip, user, username, timestamp, request = "GET /index.html HTTP/1.0", status_code, bytes]`, access, true},
		{`[ip, user, username, timestamp, request, status_code, bytes > 2000]`, access, false},
		{`[ip, user, username, timestamp, request, status_code >= 400 && status_code < 500, bytes]`, access, true},
		{`[ip, user != Prod, ...]`, access, false},
		{`[ip, user != Test, ...]`, access, true},
		{`[ip, user, username, timestamp, request, status_code, bytes, extra]`, access, false},
		// Match terms in order.
		{"[w1=ERROR, w2]", errLine, true},
		{"[w1=ERROR, w2]", warn, false},
		{"[w1=ERROR || w1=WARNING, w2]", warn, true},
		{"[w1=ERROR || w1=WARNING, w2]", errLine, true},
		{"[w1=ERROR || w1=WARNING, w2]", info, false},
		{"[w1!=ERROR && w1!=WARNING, w2]", info, true},
		{"[w1!=ERROR && w1!=WARNING, w2]", warn, false},
		// Without a blank second field the first takes the whole line.
		{"[w1=ERROR]", errLine, false},
		{"[w1=ERROR*]", errLine, true},
		{"[w1, w2 = \"09/25/2014\", w3]", errLine, true},
		{"[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", info, true},
		{"[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", post, false},
		{"[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", post, true},
		{"[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", info, false},
		{"[...]", "anything at all", true},
		{"[a, ..., z=1200]", info, true},
		{"[a=INFO, ...]", info, true},
		{"[a, b, ..., y, z]", "one", false},
		{"[a, b]", "", false},
	})
}

func TestParse_Errors(t *testing.T) {
	bad := []string{
		`"unterminated`,
		`ERROR:`,
		`user-service`,
		`ERROR "x"y`,
		`?`,
		`- ERROR`,
		`%abc`,
		`%%`,
		`%ab(c)%`,
		`%something!%`,
		`%\b%`,
		`%a{x}%`,
		`%[abc%`,
		`%a}%`,
		`%ab**%`,
		"%caf\u00e9%",
		`ERROR %x%`,
		`{ $.a = "x"`,
		`{}`,
		`{ }`,
		`{ a = 1 }`,
		`{ $. = 1 }`,
		`{ $.a }`,
		`{ $.a == }`,
		`{ $.a = }`,
		`{ $.a > abc }`,
		`{ $.a IS NOT NULL }`,
		`{ $.a EXISTS }`,
		`{ $.a IS MAYBE }`,
		`{ ($.a = 1 }`,
		`{ $.a = 1) }`,
		`{ $.a = 1 $.b = 2 }`,
		`{ $.a = 1 && }`,
		`{ $.a[x] = 1 }`,
		`{ $.a[0 = 1 }`,
		`{ $.*.* = 1 }`,
		`{ $.* = 1 && $.* = 2 && $.* = 3 && $.* = 4 }`,
		`{ $.a = %x% && $.b = %y% && $.c = %z% }`,
		`{ $.a = %x( % }`,
		`{ $.a = ` + strings.Repeat("(", 40) + "$.a = 1" + strings.Repeat(")", 40) + ` }`,
		`[a, b`,
		`[]`,
		`[ ]`,
		`[a, , b]`,
		`[a b]`,
		`[..., b, ...]`,
		`[a, b = ]`,
		`[a, b > x]`,
		`[a, b = 1 || c]`,
		`[a, b = 1 || zz = 2]`,
		`[$a]`,
		strings.Repeat("x", MaxPatternLength+1),
	}
	for _, pat := range bad {
		p, err := Parse(pat)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want error", pat, p)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T, want *SyntaxError", pat, err)
		}
		if !strings.HasPrefix(err.Error(), "Invalid filter pattern: ") {
			t.Errorf("Parse(%q) error %q lacks the AWS prefix", pat, err)
		}
	}
}

func TestParse_ErrorDetail(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{`ERROR:`, `invalid character ":" in term`},
		{`"abc`, "unterminated quoted string"},
		{`%ab(c)%`, "parentheses are not supported"},
		{`%something!%`, `character "!" is not supported`},
		{`{ $.a IS NOT NULL }`, "IS must be followed by NULL, TRUE or FALSE"},
		{`{ $.a > abc }`, "operator > needs a numeric value"},
		{`[a, b`, "must end with ']'"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.pattern)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tc.pattern, err, tc.want)
		}
	}
}

func TestMatchesAll(t *testing.T) {
	for _, pat := range []string{"", "  ", `" "`} {
		p, err := Parse(pat)
		if err != nil {
			t.Fatalf("Parse(%q): %v", pat, err)
		}
		if !p.MatchesAll() {
			t.Errorf("Parse(%q).MatchesAll() = false", pat)
		}
	}
	p, err := Parse("ERROR")
	if err != nil {
		t.Fatal(err)
	}
	if p.MatchesAll() {
		t.Error(`Parse("ERROR").MatchesAll() = true`)
	}
}

func TestMatch_UnstructuredNoAlloc(t *testing.T) {
	p, err := Parse(`ERROR "request id" -DEBUG`)
	if err != nil {
		t.Fatal(err)
	}
	msg := benchMessage
	if n := testing.AllocsPerRun(100, func() { p.Match(msg) }); n != 0 {
		t.Errorf("Match allocated %v times per call, want 0", n)
	}
}

func TestMatch_NilPattern(t *testing.T) {
	var p *Pattern
	if !p.Match("x") || !p.MatchesAll() {
		t.Error("nil *Pattern must match every event")
	}
}

func TestMatch_DelimitedRemainder(t *testing.T) {
	runMatch(t, []matchCase{
		// The last field keeps the rest of the line, delimiters included.
		{`[a, rest = "x \"y z\" w"]`, `1 x "y z" w`, true},
		{`[a, rest = "[y z] w"]`, `1 [y z] w  `, true},
		{`[a, b = "y z"]`, `1 [y z]`, true},
		// Runs of spaces separate fields once; tabs separate too.
		{`[a, b = 2, c = 3]`, "1    2\t3", true},
		// An unterminated quote runs to the end of the line.
		{`[a, b = "x y"]`, `1 "x y`, true},
	})
}
