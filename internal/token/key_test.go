package token

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestKeyMarshal(t *testing.T) {
	retired := testKey(7)
	retired.Retired = time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)
	for _, k := range []Key{testKey(1), retired, GenerateKey(42), {ID: 9, Secret: [32]byte{1}}} {
		b, err := k.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Key
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if got.ID != k.ID || got.Secret != k.Secret || !got.Created.Equal(k.Created) || !got.Retired.Equal(k.Retired) {
			t.Errorf("binary round trip: got %v retired %v, want %v retired %v", got, got.Retired, k, k.Retired)
		}
		text, _ := k.MarshalText()
		var fromText Key
		if err := fromText.UnmarshalText(text); err != nil {
			t.Fatal(err)
		}
		if fromText != got {
			t.Errorf("text round trip differs from binary: %v", fromText)
		}
	}
}

// TestKeyFormatStable pins the stored form: keys in databases must keep
// decoding after any change to this package.
func TestKeyFormatStable(t *testing.T) {
	k := Key{ID: 0x01020304, Created: time.Unix(1700000000, 0).UTC()}
	for i := range k.Secret {
		k.Secret[i] = byte(i)
	}
	b, _ := k.MarshalBinary()
	const want = "01" + "01020304" + "17979cfe362a0000" + "0000000000000000" +
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("MarshalBinary = %s\n           want %s", got, want)
	}
}

func TestKeyUnmarshalRejects(t *testing.T) {
	good, _ := testKey(1).MarshalBinary()
	zeroID, _ := Key{Secret: [32]byte{1}}.MarshalBinary()
	zeroSecret, _ := Key{ID: 1}.MarshalBinary()
	badVersion := append([]byte{2}, good[1:]...)
	for name, b := range map[string][]byte{
		"empty": nil, "short": good[:20], "long": append(good, 0),
		"version": badVersion, "zero ID": zeroID, "zero secret": zeroSecret,
	} {
		var k Key
		if err := k.UnmarshalBinary(b); err == nil {
			t.Errorf("%s: UnmarshalBinary succeeded", name)
		}
	}
	var k Key
	for _, s := range []string{"", "!!!!", "AQ", "AQIDBA=="} {
		if err := k.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", s)
		}
	}
}

func TestKeyFormattingHidesSecret(t *testing.T) {
	k := GenerateKey(5)
	secretHex := hex.EncodeToString(k.Secret[:])
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(out, secretHex) || strings.Contains(out, fmt.Sprint(k.Secret[:4])) ||
			strings.Contains(out, fmt.Sprint(k.Secret[0])+" "+fmt.Sprint(k.Secret[1])) {
			t.Errorf("%s prints the secret: %s", verb, out)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, b := GenerateKey(1), GenerateKey(1)
	if a.Secret == b.Secret || a.Secret == [32]byte{} {
		t.Error("generated secrets are not random")
	}
	if a.Created.IsZero() || time.Since(a.Created) > time.Minute {
		t.Errorf("Created = %v", a.Created)
	}
	if _, err := NewRing([]Key{a}, 1); err != nil {
		t.Errorf("generated key rejected: %v", err)
	}
}
