package orgs

import (
	"strconv"
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

func TestPageOf(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	two := 2
	p1, next, err := pageOf(items, ident, "", &two)
	if err != nil || len(p1) != 2 || next == "" {
		t.Fatalf("first page %v %q %v", p1, next, err)
	}
	p2, next, err := pageOf(items, ident, next, &two)
	if err != nil || p2[0] != "c" || next == "" {
		t.Fatalf("second page %v %q %v", p2, next, err)
	}
	// Keyset: an item before the page removed between calls shifts nothing.
	p3, last, err := pageOf([]string{"b", "c", "d", "e"}, ident, next, &two)
	if err != nil || len(p3) != 1 || p3[0] != "e" || last != "" {
		t.Fatalf("last page after a removal %v %q %v", p3, last, err)
	}
	all, next, err := pageOf(items, ident, "", nil)
	if err != nil || len(all) != 5 || next != "" {
		t.Fatalf("default page %v %q %v", all, next, err)
	}
	// Tokens that no page handed out are refused, never a panic.
	for _, tok := range []string{"!!", "", "eA", "aw", strconv.Itoa(3)} { // "!!", "", "x", "k" alone, a bare offset
		if tok == "" {
			continue
		}
		if _, _, err := pageOf(items, ident, tok, &two); !awserr.HasCode(err, "InvalidInputException") {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}
