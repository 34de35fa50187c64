package sigv4_test

import (
	"context"
	"io"
	"net/http"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/sigv4"
)

// The server parses the scope once to route IAM and STS (which share an
// endpoint) and verifies with the same parsed form.
func Example() {
	verifier := sigv4.NewVerifier(sigv4.WithServices("iam", "sts"))
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		sc, err := sigv4.ParseScope(r)
		if err != nil {
			writeError(w, err)
			return
		}
		keys := sigv4.SecretFunc(func(ctx context.Context, akid, token string) (string, error) {
			// look the key up; unknown keys return InvalidClientTokenId
			return "", &awserr.Error{Code: "InvalidClientTokenId", Status: http.StatusForbidden,
				Message: "The security token included in the request is invalid."}
		})
		res, err := verifier.VerifyScope(r.Context(), r, body, &sc, keys)
		if err != nil {
			writeError(w, err)
			return
		}
		switch res.Service {
		case "iam": // dispatch to IAM as res.AccessKeyID
		case "sts": // dispatch to STS
		}
	}
	_ = handler
	// Output:
}

func writeError(w http.ResponseWriter, err error) {
	e := awserr.As(err)
	if e == nil {
		e = awserr.InternalFailure()
	}
	http.Error(w, e.Code+": "+e.Message, e.Status)
}
