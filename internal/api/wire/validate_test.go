package wire

import (
	"regexp"
	"testing"
)

// The ASCII table of a repeated class agrees with the regexp it stands for,
// on every byte and on values mixing in other characters.
func TestPatternTable(t *testing.T) {
	for _, src := range []string{`[\w+=,.@-]+`, `[\w+=,.@-]*`, `[\x{0020}-\x{00FF}]+`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]+`, `[\w]*`, `[\d]+`} {
		p := NewPattern(src, src)
		if p.ascii == nil {
			t.Fatalf("%s: no table", src)
		}
		re := regexp.MustCompile(`^(?:` + src + `)$`)
		for c := 0; c < 256; c++ {
			for _, v := range []string{string(rune(c)), "a" + string(rune(c)), string([]byte{byte(c)}), ""} {
				if got, want := p.Match(v), re.MatchString(v); got != want {
					t.Errorf("%s on %q: %v, regexp says %v", src, v, got, want)
				}
			}
		}
	}
	if NewPattern(`(/)|(/[!-~]+/)`, `(/)|(/[!-~]+/)`).ascii != nil {
		t.Error("an alternation got a table")
	}
}
