package orgs

import (
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

func TestPage(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	two := 2
	p1, next, err := page(items, "", &two)
	if err != nil || len(p1) != 2 || next == "" {
		t.Fatalf("first page %v %q %v", p1, next, err)
	}
	p2, next, err := page(items, next, &two)
	if err != nil || p2[0] != 3 || next == "" {
		t.Fatalf("second page %v %q %v", p2, next, err)
	}
	p3, next, err := page(items, next, &two)
	if err != nil || len(p3) != 1 || p3[0] != 5 || next != "" {
		t.Fatalf("last page %v %q %v", p3, next, err)
	}
	all, next, err := page(items, "", nil)
	if err != nil || len(all) != 5 || next != "" {
		t.Fatalf("default page %v %q %v", all, next, err)
	}
	// Tokens that no page handed out are refused, never a panic.
	for _, tok := range []string{"!!", "LTE", "OTk", "eA"} { // "!!", "-1", "99", "x"
		if _, _, err := page(items, tok, &two); !awserr.HasCode(err, "InvalidInputException") {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}
