package token_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/mantle-iam/mantle/internal/token"
)

func Example() {
	// At start-up the server loads its stored keys; here, a fresh one.
	ring, err := token.NewRing([]token.Key{token.GenerateKey(1)}, 1)
	if err != nil {
		panic(err)
	}

	// AssumeRole: the STS layer checks the request, then seals.
	now := time.Now()
	c := &token.Claims{
		Kind:            token.KindAssumedRole,
		AccountID:       "123456789012",
		AccessKeyID:     token.NewTemporaryAccessKeyID(),
		SecretAccessKey: token.NewSecretAccessKey(),
		IssuedAt:        now,
		ExpiresAt:       now.Add(time.Hour),
		PrincipalID:     "AROAQ3EGUDRZ4KXVB2LYM",
		PrincipalName:   "deploy",
		Path:            "/",
		SessionName:     "ci",
		SourceArn:       "arn:aws:iam::123456789012:user/alice",
		Tags:            []token.Tag{{Key: "Project", Value: "payments"}},
	}
	tok, err := ring.Seal(c)
	if err != nil {
		panic(err)
	}

	// A request signed with the temporary credentials: open the token from
	// X-Amz-Security-Token, then check key ID, signature and expiry.
	got, err := ring.Open(tok)
	switch {
	case errors.Is(err, token.ErrMalformed), errors.Is(err, token.ErrInvalid):
		fmt.Println("InvalidClientTokenId")
	case err != nil:
		panic(err)
	case got.Expired(time.Now()):
		fmt.Println("ExpiredToken")
	default:
		fmt.Println(got.AccessKeyID == c.AccessKeyID, got.Kind, got.PrincipalName, got.Tags)
	}

	// Rotation: add the new key everywhere, then make it active; old tokens
	// keep opening until the old key is pruned 36 hours after it retired.
	_ = ring.Add(token.GenerateKey(2))
	_ = ring.SetActive(2)
	_, err = ring.Open(tok)
	fmt.Println(err == nil, ring.Prune(time.Now().Add(37*time.Hour)))
	_, err = ring.Open(tok)
	fmt.Println(errors.Is(err, token.ErrInvalid))
	// Output:
	// true assumed-role deploy [{Project payments}]
	// true [1]
	// true
}
