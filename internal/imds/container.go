package imds

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// ContainerPath is where the container credentials endpoint answers, as
// the EKS Pod Identity agent does.
const ContainerPath = "/v1/credentials"

// Container is the container credentials endpoint: GET ContainerPath with
// the endpoint's token in Authorization returns the source's credentials in
// the JSON the SDKs' container providers read.
type Container struct {
	Source Source
	// Token is the value Authorization must carry.
	Token string
	Log   *slog.Logger
}

// NewToken returns a random authorization token: printable, with no
// whitespace, since SDKs put it in a header as read from the token file.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// containerCredentials is the JSON the SDKs' container providers read.
type containerCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	Token           string
	Expiration      string
	RoleArn         string `json:",omitempty"`
}

// containerError is the error body the SDKs report: {"code","message"}.
type containerError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (c *Container) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != ContainerPath {
		writeJSON(w, http.StatusNotFound, containerError{"NotFound", "Credentials are served at " + ContainerPath + "."})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeJSON(w, http.StatusMethodNotAllowed, containerError{"MethodNotAllowed", "Use GET."})
		return
	}
	got := strings.TrimSpace(r.Header.Get("Authorization"))
	switch {
	case got == "":
		writeJSON(w, http.StatusUnauthorized, containerError{"Unauthorized", "The Authorization header is missing."})
		return
	case subtle.ConstantTimeCompare([]byte(got), []byte(c.Token)) != 1:
		writeJSON(w, http.StatusForbidden, containerError{"AccessDenied", "The authorization token is not valid."})
		return
	}
	cr, err := c.Source.Credentials(r.Context())
	if err != nil {
		status := statusOf(err)
		body := containerError{"InternalError", "The credentials could not be obtained."}
		if ae := awserr.As(err); ae != nil && status < 500 {
			body = containerError{ae.Code, ae.Message}
		} else if c.Log != nil {
			c.Log.Error("container credentials", "err", err)
		}
		writeJSON(w, status, body)
		return
	}
	writeJSON(w, http.StatusOK, containerCredentials{
		AccessKeyId: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, Token: cr.SessionToken,
		Expiration: cr.Expiration.UTC().Format(timeFormat), RoleArn: cr.RoleArn,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
