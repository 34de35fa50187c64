package awsmanaged

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/policy"
)

// The counts are the reference data's (../shared/aws-data/README.md): 1,569
// policies, 118 of them without a published ID.
func TestAll(t *testing.T) {
	ps, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1569 {
		t.Fatalf("%d policies, want 1569", len(ps))
	}
	paths := map[string]int{}
	derived := 0
	idShape := regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
	for _, p := range ps {
		paths[p.Path]++
		if p.ID == DerivedID(p.Name) {
			derived++
		}
		if !idShape.MatchString(p.ID) {
			t.Errorf("%s: ID %q is not in AWS's shape", p.Name, p.ID)
		}
		if !strings.HasPrefix(p.DefaultVersionID, "v") || p.CreateDate.IsZero() || p.UpdateDate.Before(p.CreateDate) {
			t.Errorf("%s: version %q, dates %v %v", p.Name, p.DefaultVersionID, p.CreateDate, p.UpdateDate)
		}
	}
	want := map[string]int{"/": 971, "/aws-service-role/": 356, "/service-role/": 226, "/job-function/": 11, "/root-task/": 5}
	for k, n := range want {
		if paths[k] != n {
			t.Errorf("%d policies under %s, want %d", paths[k], k, n)
		}
	}
	if len(paths) != len(want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	if derived != 118 {
		t.Errorf("%d derived IDs, want 118", derived)
	}
}

// Policies users attach by ARN in tutorials, with AWS's IDs and versions as
// the reference data records them.
func TestKnown(t *testing.T) {
	ps, err := All()
	if err != nil {
		t.Fatal(err)
	}
	byARN := map[string]*Policy{}
	for i := range ps {
		byARN[ps[i].ARN()] = &ps[i]
	}
	for _, tc := range []struct{ arn, id, version string }{
		{"arn:aws:iam::aws:policy/AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", "v1"},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", "ANPAILL3HVNFSB6DCOWYQ", "v188"},
		{"arn:aws:iam::aws:policy/SecurityAudit", "ANPAIX2T3QCXHR2OGGCTO", "v92"},
		{"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "ANPAID22R6XPJATWOFDK6", "v45"},
		{"arn:aws:iam::aws:policy/AmazonEC2FullAccess", "", ""},
		{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "", ""},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "", ""},
		{"arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials", "", ""},
	} {
		p := byARN[tc.arn]
		if p == nil {
			t.Errorf("%s missing", tc.arn)
			continue
		}
		if tc.id != "" && (p.ID != tc.id || p.DefaultVersionID != tc.version) {
			t.Errorf("%s: %s %s, want %s %s", tc.arn, p.ID, p.DefaultVersionID, tc.id, tc.version)
		}
	}
	admin := byARN["arn:aws:iam::aws:policy/AdministratorAccess"]
	if admin.Document != `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}` {
		t.Errorf("AdministratorAccess document %s", admin.Document)
	}
	if want := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC); !admin.CreateDate.Equal(want) {
		t.Errorf("AdministratorAccess created %v, want %v", admin.CreateDate, want)
	}
}

// Every document must be one the policy engine compiles: a document it
// refused would grant nothing to whoever has the policy attached.
func TestDocumentsCompile(t *testing.T) {
	ps, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if _, err := policy.Parse(p.Document, policy.KindIdentity); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}

func TestDerivedID(t *testing.T) {
	if DerivedID("a") != DerivedID("a") || DerivedID("a") == DerivedID("b") {
		t.Fatal("DerivedID is not a stable function of the name")
	}
	// The ID mantle gave ReadOnlyAccess before it shipped the full set.
	if got := DerivedID("ReadOnlyAccess"); len(got) != 21 || !strings.HasPrefix(got, "ANPA") {
		t.Errorf("DerivedID = %q", got)
	}
}

func BenchmarkDecode(b *testing.B) {
	for b.Loop() {
		if _, err := decode(compressed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReadOnlyAccess(b *testing.B) {
	ps, _ := All()
	var doc string
	for _, p := range ps {
		if p.Name == "ReadOnlyAccess" {
			doc = p.Document
		}
	}
	for b.Loop() {
		if _, err := policy.Parse(doc, policy.KindIdentity); err != nil {
			b.Fatal(err)
		}
	}
}
