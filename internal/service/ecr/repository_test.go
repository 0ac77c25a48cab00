// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awserr/awserrtest"
)

func TestService_CreateRepository(t *testing.T) {
	f := newFixture(t)
	tooMany := make([]ecrapi.Tag, 51)
	for i := range tooMany {
		tooMany[i] = ecrapi.Tag{Key: sp(fmt.Sprint("k", i)), Value: sp("v")}
	}
	tests := []struct {
		name string
		in   ecrapi.CreateRepositoryInput
		code string
	}{
		{"plain", ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}, ""},
		{"namespaced", ecrapi.CreateRepositoryInput{RepositoryName: sp("team-a/web.app_1")}, ""},
		{"duplicate", ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}, ecrapi.CodeRepositoryAlreadyExists},
		{"uppercase", ecrapi.CreateRepositoryInput{RepositoryName: sp("Web")}, ecrapi.CodeInvalidParameter},
		{"too short", ecrapi.CreateRepositoryInput{RepositoryName: sp("a")}, ecrapi.CodeInvalidParameter},
		{"trailing slash", ecrapi.CreateRepositoryInput{RepositoryName: sp("web/")}, ecrapi.CodeInvalidParameter},
		{"bad mutability", ecrapi.CreateRepositoryInput{RepositoryName: sp("m1"), ImageTagMutability: sp("SOMETIMES")}, ecrapi.CodeValidation},
		{"kms key with AES256", ecrapi.CreateRepositoryInput{RepositoryName: sp("e1"), EncryptionConfiguration: &ecrapi.EncryptionConfiguration{EncryptionType: sp("AES256"), KmsKey: sp("k")}}, ecrapi.CodeInvalidParameter},
		{"too many tags", ecrapi.CreateRepositoryInput{RepositoryName: sp("t1"), Tags: tooMany}, ecrapi.CodeTooManyTags},
		{"aws: tag", ecrapi.CreateRepositoryInput{RepositoryName: sp("t2"), Tags: []ecrapi.Tag{{Key: sp("aws:x"), Value: sp("v")}}}, ecrapi.CodeInvalidTagParameter},
		{"other registry", ecrapi.CreateRepositoryInput{RegistryId: sp("999999999999"), RepositoryName: sp("o1")}, ecrapi.CodeRepositoryNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.svc.CreateRepository(f.ctx, &tc.in)
			if tc.code != "" {
				awserrtest.WantCode(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			name := *tc.in.RepositoryName
			r := out.Repository
			want := []string{"arn:aws:ecr:us-east-1:123456789012:repository/" + name, testAccount, name, testHost + "/" + name, "MUTABLE", "AES256"}
			got := []string{*r.RepositoryArn, *r.RegistryId, *r.RepositoryName, *r.RepositoryUri, *r.ImageTagMutability, *r.EncryptionConfiguration.EncryptionType}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("repository (-want +got):\n%s", diff)
			}
		})
	}
	// Nothing of the refused requests was stored.
	out := must[*ecrapi.DescribeRepositoriesOutput](t)(f.svc.DescribeRepositories(f.ctx, &ecrapi.DescribeRepositoriesInput{}))
	var names []string
	for _, r := range out.Repositories {
		names = append(names, *r.RepositoryName)
	}
	if diff := cmp.Diff([]string{"team-a/web.app_1", "web"}, names); diff != "" {
		t.Fatalf("repositories (-want +got):\n%s", diff)
	}
}

func TestService_CreateRepository_Settings(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{
		RepositoryName:             sp("locked"),
		ImageTagMutability:         sp("IMMUTABLE"),
		ImageScanningConfiguration: &ecrapi.ImageScanningConfiguration{ScanOnPush: ptr(true)},
		EncryptionConfiguration:    &ecrapi.EncryptionConfiguration{EncryptionType: sp("KMS"), KmsKey: sp("arn:aws:kms:us-east-1:123456789012:key/k")},
		Tags:                       []ecrapi.Tag{{Key: sp("team"), Value: sp("a")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := must[*ecrapi.DescribeRepositoriesOutput](t)(f.svc.DescribeRepositories(f.ctx, &ecrapi.DescribeRepositoriesInput{RepositoryNames: []string{"locked"}}))
	r := out.Repositories[0]
	if *r.ImageTagMutability != "IMMUTABLE" || !*r.ImageScanningConfiguration.ScanOnPush || *r.EncryptionConfiguration.EncryptionType != "KMS" ||
		*r.EncryptionConfiguration.KmsKey != "arn:aws:kms:us-east-1:123456789012:key/k" {
		t.Fatalf("settings not kept: %+v", r)
	}
	if info, ok := f.svc.Repository(f.ctx, "locked"); !ok || !info.ImmutableTags {
		t.Fatalf("Repository = %+v, %v", info, ok)
	}
	must[*ecrapi.PutImageTagMutabilityOutput](t)(f.svc.PutImageTagMutability(f.ctx, &ecrapi.PutImageTagMutabilityInput{RepositoryName: sp("locked"), ImageTagMutability: sp("MUTABLE")}))
	if info, _ := f.svc.Repository(f.ctx, "locked"); info.ImmutableTags {
		t.Fatal("still immutable after PutImageTagMutability MUTABLE")
	}
	_, err = f.svc.PutImageTagMutability(f.ctx, &ecrapi.PutImageTagMutabilityInput{RepositoryName: sp("nope"), ImageTagMutability: sp("MUTABLE")})
	awserrtest.WantCode(t, err, ecrapi.CodeRepositoryNotFound, "")
	if _, ok := f.svc.Repository(f.ctx, "nope"); ok {
		t.Fatal("Repository reports a missing repository")
	}
}

func TestService_DescribeRepositories(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp(fmt.Sprint("repo", i))}))
	}
	t.Run("pages", func(t *testing.T) {
		var names []string
		var tok *string
		pages := 0
		for {
			out, err := f.svc.DescribeRepositories(f.ctx, &ecrapi.DescribeRepositoriesInput{MaxResults: ptr(int32(2)), NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, r := range out.Repositories {
				names = append(names, *r.RepositoryName)
			}
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if pages != 3 || joined(names) != "repo0,repo1,repo2,repo3,repo4" {
			t.Fatalf("%d pages: %v", pages, names)
		}
	})
	t.Run("missing name", func(t *testing.T) {
		_, err := f.svc.DescribeRepositories(f.ctx, &ecrapi.DescribeRepositoriesInput{RepositoryNames: []string{"repo1", "nope"}})
		awserrtest.WantCode(t, err, ecrapi.CodeRepositoryNotFound, "")
		if !strings.Contains(err.Error(), "The repository with name 'nope' does not exist in the registry with id '123456789012'") {
			t.Fatalf("message: %v", err)
		}
	})
	t.Run("names with maxResults", func(t *testing.T) {
		_, err := f.svc.DescribeRepositories(f.ctx, &ecrapi.DescribeRepositoriesInput{RepositoryNames: []string{"repo1"}, MaxResults: ptr(int32(1))})
		awserrtest.WantCode(t, err, ecrapi.CodeInvalidParameter, "")
	})
	t.Run("bad token", func(t *testing.T) {
		_, err := f.svc.DescribeRepositories(f.ctx, &ecrapi.DescribeRepositoriesInput{NextToken: sp("!!")})
		awserrtest.WantCode(t, err, ecrapi.CodeInvalidParameter, "")
	})
}

func TestService_DeleteRepository(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("full")}))
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("empty")}))
	m := f.testManifest(t, "full", "one")
	must[*ecrapi.PutImageOutput](t)(f.svc.PutImage(f.ctx, &ecrapi.PutImageInput{RepositoryName: sp("full"), ImageManifest: &m, ImageTag: sp("v1")}))

	_, err := f.svc.DeleteRepository(f.ctx, &ecrapi.DeleteRepositoryInput{RepositoryName: sp("full")})
	awserrtest.WantCode(t, err, ecrapi.CodeRepositoryNotEmpty, "")
	if _, ok := f.svc.Repository(f.ctx, "full"); !ok {
		t.Fatal("a refused delete removed the repository")
	}
	out := must[*ecrapi.DeleteRepositoryOutput](t)(f.svc.DeleteRepository(f.ctx, &ecrapi.DeleteRepositoryInput{RepositoryName: sp("full"), Force: ptr(true)}))
	if *out.Repository.RepositoryName != "full" {
		t.Fatalf("deleted %v", *out.Repository.RepositoryName)
	}
	if _, ok := f.images.repos["full"]; ok {
		t.Fatal("force delete left the repository's storage")
	}
	must[*ecrapi.DeleteRepositoryOutput](t)(f.svc.DeleteRepository(f.ctx, &ecrapi.DeleteRepositoryInput{RepositoryName: sp("empty")}))
	_, err = f.svc.DeleteRepository(f.ctx, &ecrapi.DeleteRepositoryInput{RepositoryName: sp("empty")})
	awserrtest.WantCode(t, err, ecrapi.CodeRepositoryNotFound, "")
}

func TestService_Tags(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web"),
		Tags: []ecrapi.Tag{{Key: sp("a"), Value: sp("1")}}}))
	arn := sp("arn:aws:ecr:us-east-1:123456789012:repository/web")
	must[*ecrapi.TagResourceOutput](t)(f.svc.TagResource(f.ctx, &ecrapi.TagResourceInput{ResourceArn: arn,
		Tags: []ecrapi.Tag{{Key: sp("b"), Value: sp("2")}, {Key: sp("a"), Value: sp("3")}}}))
	must[*ecrapi.UntagResourceOutput](t)(f.svc.UntagResource(f.ctx, &ecrapi.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"b", "zz"}}))
	out := must[*ecrapi.ListTagsForResourceOutput](t)(f.svc.ListTagsForResource(f.ctx, &ecrapi.ListTagsForResourceInput{ResourceArn: arn}))
	if len(out.Tags) != 1 || *out.Tags[0].Key != "a" || *out.Tags[0].Value != "3" {
		t.Fatalf("tags = %+v", out.Tags)
	}
	_, err := f.svc.ListTagsForResource(f.ctx, &ecrapi.ListTagsForResourceInput{ResourceArn: sp("arn:aws:ecr:us-east-1:123456789012:repository/nope")})
	awserrtest.WantCode(t, err, ecrapi.CodeRepositoryNotFound, "")
	_, err = f.svc.TagResource(f.ctx, &ecrapi.TagResourceInput{ResourceArn: sp("web"), Tags: []ecrapi.Tag{{Key: sp("k"), Value: sp("v")}}})
	awserrtest.WantCode(t, err, ecrapi.CodeInvalidParameter, "")
}

func TestService_LifecyclePolicy(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}))
	good := `{"rules":[{"rulePriority":1,"description":"expire old untagged","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`
	tests := []struct {
		name, text, code string
	}{
		{"not json", strings.Repeat("x", 120), ecrapi.CodeInvalidParameter},
		{"no rules", `{"rules":[]}` + strings.Repeat(" ", 100), ecrapi.CodeInvalidParameter},
		{"tagged without prefixes", strings.Replace(good, `"untagged"`, `"tagged"`, 1), ecrapi.CodeInvalidParameter},
		{"bad count type", strings.Replace(good, "sinceImagePushed", "sometimes", 1), ecrapi.CodeInvalidParameter},
		{"good", good, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.PutLifecyclePolicy(f.ctx, &ecrapi.PutLifecyclePolicyInput{RepositoryName: sp("web"), LifecyclePolicyText: &tc.text})
			if tc.code != "" {
				awserrtest.WantCode(t, err, tc.code, "")
				_, err := f.svc.GetLifecyclePolicy(f.ctx, &ecrapi.GetLifecyclePolicyInput{RepositoryName: sp("web")})
				awserrtest.WantCode(t, err, ecrapi.CodeLifecyclePolicyNotFound, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	got := must[*ecrapi.GetLifecyclePolicyOutput](t)(f.svc.GetLifecyclePolicy(f.ctx, &ecrapi.GetLifecyclePolicyInput{RepositoryName: sp("web")}))
	if *got.LifecyclePolicyText != good {
		t.Fatalf("policy = %s", *got.LifecyclePolicyText)
	}
	must[*ecrapi.DeleteLifecyclePolicyOutput](t)(f.svc.DeleteLifecyclePolicy(f.ctx, &ecrapi.DeleteLifecyclePolicyInput{RepositoryName: sp("web")}))
	_, err := f.svc.DeleteLifecyclePolicy(f.ctx, &ecrapi.DeleteLifecyclePolicyInput{RepositoryName: sp("web")})
	awserrtest.WantCode(t, err, ecrapi.CodeLifecyclePolicyNotFound, "")
}
