package secrets

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(sealed)
	if err != nil || string(got) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := s.Open(bad); !errors.Is(err, ErrOpen) {
			t.Fatalf("tampered byte %d opened: %v", i, err)
		}
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("opened under another key: %v", err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) || len(k1) != KeySize {
		t.Fatalf("key not stable: %x vs %x", k1, k2)
	}
}

// sealV1 seals as version 1 did (no key ID), for values stored before.
func sealV1(t *testing.T, key, plain []byte) []byte {
	t.Helper()
	mk, err := newMasterKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ns := mk.aead.NonceSize()
	out := make([]byte, 1+ns)
	out[0] = version1
	return mk.aead.Seal(out, out[1:1+ns], plain, out[:1])
}

func TestRotate(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte{2}, KeySize)
	s, err := NewSealer(k1)
	if err != nil {
		t.Fatal(err)
	}
	v1 := sealV1(t, k1, []byte("old format"))
	under1, _ := s.Seal([]byte("under k1"))
	if err := s.Rotate(k2); err != nil {
		t.Fatal(err)
	}
	under2, _ := s.Seal([]byte("under k2"))
	for _, tc := range []struct {
		sealed  []byte
		want    string
		current bool
	}{{v1, "old format", false}, {under1, "under k1", false}, {under2, "under k2", true}} {
		got, err := s.Open(tc.sealed)
		if err != nil || string(got) != tc.want {
			t.Errorf("Open = %q, %v; want %q", got, err, tc.want)
		}
		if s.Current(tc.sealed) != tc.current {
			t.Errorf("Current(%q) = %v", tc.want, !tc.current)
		}
	}
	s.DropPrevious()
	for _, old := range [][]byte{v1, under1} {
		if _, err := s.Open(old); !errors.Is(err, ErrOpen) {
			t.Errorf("opened under a dropped key: %v", err)
		}
	}
	if _, err := s.Open(under2); err != nil {
		t.Error(err)
	}
	// A restarted mantle with the key files of a rotation cut short.
	restarted, err := NewSealer(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][]byte{v1, under1, under2} {
		if _, err := restarted.Open(v); err != nil {
			t.Errorf("restarted: %v", err)
		}
	}
}

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	k1, _, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	k0 := bytes.Repeat([]byte{9}, KeySize)
	if err := WriteKeyFile(PreviousFile(path), append(bytes.Clone(k1), k0...)); err != nil {
		t.Fatal(err)
	}
	p, prev, err := LoadKeys(path)
	if err != nil || !bytes.Equal(p, k1) || len(prev) != 2 || !bytes.Equal(prev[1], k0) {
		t.Fatalf("LoadKeys = %x, %x, %v", p, prev, err)
	}
	if err := WriteKeyFile(PreviousFile(path), []byte("short")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadKeys(path); err == nil {
		t.Fatal("a previous-keys file of 5 bytes loaded")
	}
}
