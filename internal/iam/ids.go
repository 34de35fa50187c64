package iam

import (
	"fmt"
	"strings"
)

// Unique-ID prefixes from "IAM identifiers".
const (
	prefixUser            = "AIDA"
	prefixRole            = "AROA"
	prefixGroup           = "AGPA"
	prefixPolicy          = "ANPA"
	prefixInstanceProfile = "AIPA"
	prefixAccessKey       = "AKIA"
)

// uniqueIDAlphabet is what AWS's unique IDs are drawn from (RFC 4648 base32
// letters), so IDs look like AWS's to clients that pattern-match them.
const uniqueIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// randomString draws n characters from alphabet without modulo bias.
func (s *Service) randomString(alphabet string, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		if _, err := s.rand.Read(buf); err != nil {
			return "", fmt.Errorf("iam: random source: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// newID returns a 21-character unique ID with the given 4-letter prefix.
func (s *Service) newID(prefix string) (string, error) {
	r, err := s.randomString(uniqueIDAlphabet, 17)
	if err != nil {
		return "", err
	}
	return prefix + r, nil
}

// newAccessKey returns an access key ID (AKIA + 16) and a 40-char secret.
func (s *Service) newAccessKey() (id, secret string, err error) {
	r, err := s.randomString(uniqueIDAlphabet, 16)
	if err != nil {
		return "", "", err
	}
	secret, err = s.randomString(secretAlphabet, 40)
	if err != nil {
		return "", "", err
	}
	return prefixAccessKey + r, secret, nil
}

// iamARN builds arn:aws:iam::ACCOUNT:TYPE/PATH…NAME; path is "/" or
// "/a/b/".
func iamARN(account, typ, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":" + typ + path + name
}

func rootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

func policyARN(account, path, name string) string { return iamARN(account, "policy", path, name) }

// parsePolicyARN splits arn:aws:iam::ACCOUNT:policy/PATH/NAME. ok is false
// for anything else.
func parsePolicyARN(arn string) (account, path, name string, ok bool) {
	const pfx = "arn:aws:iam::"
	if !strings.HasPrefix(arn, pfx) {
		return "", "", "", false
	}
	rest := arn[len(pfx):]
	i := strings.Index(rest, ":policy/")
	if i < 0 {
		return "", "", "", false
	}
	account = rest[:i]
	res := rest[i+len(":policy"):] // "/path/name"
	j := strings.LastIndex(res, "/")
	path, name = res[:j+1], res[j+1:]
	if account == "" || name == "" {
		return "", "", "", false
	}
	return account, path, name, true
}
