// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// taskDefinitions lists the task definition families.
func (c *Console) taskDefinitions(w http.ResponseWriter, r *http.Request, rq *request) error {
	var fams []string
	p := ecs.NewListTaskDefinitionFamiliesPaginator(rq.api.ecs, &ecs.ListTaskDefinitionFamiliesInput{Status: ecstypes.TaskDefinitionFamilyStatusActive})
	for p.HasMorePages() && len(fams) < maxListed {
		pg, err := p.NextPage(r.Context())
		if err != nil {
			return err
		}
		fams = append(fams, pg.Families...)
	}
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	page, pg := paginate(r, filter(fams, search, func(s string) string { return s }), c.cfg.PageSize)
	v := c.newView(rq, "Task definitions")
	v.Nav = "ecs-taskdefs"
	v.Form = search
	v.Data = struct {
		Families []string
		Pager    pager
	}{page, pg}
	c.render(w, r, http.StatusOK, "taskdefs", v)
	return nil
}

// taskDefinitionFamily lists a family's revisions, newest first.
func (c *Console) taskDefinitionFamily(w http.ResponseWriter, r *http.Request, rq *request) error {
	family := r.PathValue("family")
	var arns []string
	p := ecs.NewListTaskDefinitionsPaginator(rq.api.ecs, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Sort: ecstypes.SortOrderDesc})
	for p.HasMorePages() && len(arns) < maxListed {
		pg, err := p.NextPage(r.Context())
		if err != nil {
			return err
		}
		for _, a := range pg.TaskDefinitionArns {
			// FamilyPrefix is a prefix: keep this family only.
			if fam, _, _ := strings.Cut(a[strings.LastIndexByte(a, '/')+1:], ":"); fam == family {
				arns = append(arns, a)
			}
		}
	}
	page, pg := paginate(r, arns, c.cfg.PageSize)
	v := c.newView(rq, "Task definition "+family)
	v.Nav = "ecs-taskdefs"
	v.Data = struct {
		Family string
		ARNs   []string
		Pager  pager
	}{family, page, pg}
	c.render(w, r, http.StatusOK, "taskdef_family", v)
	return nil
}

// taskDefinition shows one revision: its containers and its JSON.
func (c *Console) taskDefinition(w http.ResponseWriter, r *http.Request, rq *request) error {
	ref := r.PathValue("family") + ":" + r.PathValue("revision")
	out, err := rq.api.ecs.DescribeTaskDefinition(r.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		return err
	}
	td := out.TaskDefinition
	v := c.newView(rq, "Task definition "+ref)
	v.Nav = "ecs-taskdefs"
	v.Data = struct {
		Def  *ecstypes.TaskDefinition
		JSON string
	}{td, wireJSON(td)}
	c.render(w, r, http.StatusOK, "taskdef", v)
	return nil
}

// readOnlyFields are the fields DescribeTaskDefinition returns that
// RegisterTaskDefinition does not take.
var readOnlyFields = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"}

// registerPage is the "register from JSON" editor, prefilled with a
// revision (?from=family:revision) to make a new one from.
func (c *Console) registerPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc := "{\n  \"family\": \"\",\n  \"containerDefinitions\": [\n    {\n      \"name\": \"\",\n      \"image\": \"\",\n      \"memory\": 128,\n      \"essential\": true\n    }\n  ]\n}"
	if from := r.URL.Query().Get("from"); from != "" {
		out, err := rq.api.ecs.DescribeTaskDefinition(r.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(from)})
		if err != nil {
			return err
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(wireJSON(out.TaskDefinition)), &m)
		for _, k := range readOnlyFields {
			delete(m, k)
		}
		b, _ := json.MarshalIndent(m, "", "  ")
		doc = string(b)
	}
	v := c.newView(rq, "Register task definition")
	v.Nav = "ecs-taskdefs"
	v.Form = doc
	c.render(w, r, http.StatusOK, "taskdef_register", v)
	return nil
}

// register is RegisterTaskDefinition from the JSON the user wrote, in the
// shape `aws ecs register-task-definition --cli-input-json` takes.
func (c *Console) register(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc := r.PostFormValue("document")
	fail := func(e *apiError, status int) error {
		v := c.newView(rq, "Register task definition")
		v.Nav = "ecs-taskdefs"
		v.Form = doc
		v.Error = e
		c.render(w, r, status, "taskdef_register", v)
		return nil
	}
	var in ecs.RegisterTaskDefinitionInput
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fail(&apiError{Code: "InvalidJSON", Message: "The task definition is not valid JSON for RegisterTaskDefinition: " + err.Error()}, http.StatusBadRequest)
	}
	out, err := rq.api.ecs.RegisterTaskDefinition(r.Context(), &in)
	if err != nil {
		return fail(asAPIError(err), statusOf(err))
	}
	td := out.TaskDefinition
	target := Prefix + "ecs/task-definitions/" + url.PathEscape(aws.ToString(td.Family)) + "/" + itoa(td.Revision)
	redirect(w, r, target, "Registered "+aws.ToString(td.Family)+":"+itoa(td.Revision)+".")
	return nil
}

// wireJSON renders an SDK value as the API's JSON: lowerCamel member
// names (map keys kept as they are), unset members left out, times in
// RFC 3339, indented.
func wireJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(wireValue(reflect.ValueOf(v))); err != nil {
		return "{}"
	}
	return strings.TrimSpace(buf.String())
}

var timeType = reflect.TypeFor[time.Time]()

func wireValue(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).UTC().Format(time.RFC3339)
		}
		out := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if skip(fv) {
				continue
			}
			if x := wireValue(fv); x != nil {
				out[lowerFirst(f.Name)] = x
			}
		}
		return out
	case reflect.Slice:
		out := make([]any, 0, v.Len())
		for i := range v.Len() {
			out = append(out, wireValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = wireValue(v.MapIndex(k))
		}
		return out
	}
	return v.Interface()
}

// skip leaves out unset members: nil pointers, empty lists and maps, empty
// strings (unset enums) and false non-pointer flags.
func skip(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.String:
		return v.String() == ""
	case reflect.Bool:
		return !v.Bool()
	}
	return false
}

func lowerFirst(s string) string {
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}
