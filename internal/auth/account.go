package auth

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// IsAccountID reports whether s is an AWS account ID: twelve digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewAccountID returns a random account ID. Its first digit is never 0, so
// it stays twelve digits wherever it is handled as a number.
func NewAccountID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%012d", n.Int64()+1e11)
}
