package token

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// fuzzRing uses a fixed key so that the checked-in seed tokens stay valid.
func fuzzRing(t testing.TB) *Ring { return testRing(t, 1) }

// FuzzOpen checks that Open never panics, fails only with its documented
// errors, and that whatever opens re-seals to the same claims.
func FuzzOpen(f *testing.F) {
	r := fuzzRing(f)
	for _, c := range []*Claims{typicalClaims(), fullClaims(), maximalClaims()} {
		tok, err := r.Seal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add("")
	f.Add("MNT1")
	f.Add("MNT1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := r.Open(tok)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		again, err := r.Seal(c)
		if err != nil {
			t.Fatalf("opened claims do not re-seal: %v", err)
		}
		c2, err := r.Open(again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-sealed claims differ: %v", err)
		}
	})
}

// FuzzDecodeClaims reaches the claims decoder directly, which FuzzOpen
// almost never does because forged input fails authentication first.
func FuzzDecodeClaims(f *testing.F) {
	for _, c := range []*Claims{typicalClaims(), fullClaims(), maximalClaims()} {
		b, err := appendClaims(nil, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{1, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeClaims(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		// Whatever decodes must encode back to a decodable form with the
		// same claims (the bytes may differ: deflate is not canonical).
		if err := c.validate(); err != nil {
			t.Fatalf("decoded claims are invalid: %v", err)
		}
		enc, err := appendClaims(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := decodeClaims(enc)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-encoded claims differ: %v", err)
		}
	})
}

// TestCorruptPlaintext truncates and flips a valid encoding, as a key
// compromise or a sealing bug might, and expects errors, not panics.
func TestCorruptPlaintext(t *testing.T) {
	for _, c := range []*Claims{fullClaims(), maximalClaims()} {
		b, err := appendClaims(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		// Every position of the small encoding; a sample of the large one,
		// whose every cut re-inflates kilobytes.
		step := 1 + len(b)/600
		for n := 0; n < len(b); n += step {
			if _, err := decodeClaims(b[:n]); err == nil {
				t.Fatalf("truncated to %d bytes decoded", n)
			}
		}
		for i := 0; i < len(b); i += step {
			bad := append([]byte(nil), b...)
			bad[i] ^= 0xff
			_, _ = decodeClaims(bad) // must not panic
		}
	}
	// A deflated section that inflates past the bound.
	c := typicalClaims()
	b, _ := appendClaims(nil, c)
	hdrEnd := bytes.Index(b, []byte(c.SourceArn)) + len(c.SourceArn) + 1 // after source identity ""
	bomb := deflateAppend(nil, make([]byte, maxPackedRaw+10))
	b = append(b[:hdrEnd:hdrEnd], bomb...)
	b[1] |= flagDeflated
	if _, err := decodeClaims(b); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized inflate: %v", err)
	}
}

var writeSeeds = flag.Bool("write-seeds", false, "rewrite testdata/fuzz/FuzzOpen seed tokens")

// TestFuzzSeeds checks that the checked-in FuzzOpen seeds (valid tokens under
// fuzzRing's key, and near misses) still open as expected; with -write-seeds
// it regenerates them.
func TestFuzzSeeds(t *testing.T) {
	r := fuzzRing(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if *writeSeeds {
		valid := map[string]*Claims{"typical": typicalClaims(), "full": fullClaims(), "maximal": maximalClaims()}
		for name, c := range valid {
			tok, err := r.Seal(c)
			if err != nil {
				t.Fatal(err)
			}
			writeSeed(t, dir, name, tok)
			if name == "typical" {
				raw, _ := base64.StdEncoding.DecodeString(tok)
				raw[len(raw)/2] ^= 1
				writeSeed(t, dir, "tampered", base64.StdEncoding.EncodeToString(raw))
				raw[len(raw)/2] ^= 1
				raw[6] = 2
				writeSeed(t, dir, "unknown-key", base64.StdEncoding.EncodeToString(raw))
				writeSeed(t, dir, "truncated", tok[:len(tok)/8*4+1])
				writeSeed(t, dir, "aws-like", "IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQD"+tok[4:])
			}
		}
	}
	want := map[string]error{
		"typical": nil, "full": nil, "maximal": nil,
		"tampered": ErrInvalid, "unknown-key": ErrUnknownKey,
		"truncated": ErrMalformed, "aws-like": ErrMalformed,
	}
	for name, wantErr := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		tok, ok := parseSeed(string(b))
		if !ok {
			t.Fatalf("seed %s is not in the go test fuzz v1 format", name)
		}
		if _, err := r.Open(tok); !errors.Is(err, wantErr) {
			t.Errorf("seed %s: Open = %v, want %v", name, err, wantErr)
		}
	}
}

func writeSeed(t *testing.T, dir, name, tok string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := "go test fuzz v1\nstring(" + strconv.Quote(tok) + ")\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func parseSeed(s string) (string, bool) {
	const head = "go test fuzz v1\nstring("
	if !strings.HasPrefix(s, head) || !strings.HasSuffix(s, ")\n") {
		return "", false
	}
	tok, err := strconv.Unquote(s[len(head) : len(s)-2])
	return tok, err == nil
}
