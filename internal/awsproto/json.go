package awsproto

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// EpochTime is a timestamp as the JSON protocols write it: seconds since the
// epoch, a JSON number.
type EpochTime time.Time

func (t EpochTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Time(t).Unix(), 10), nil
}

func (t *EpochTime) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*t = EpochTime(time.Unix(int64(f), 0).UTC())
	return nil
}

// DecodeJSON fills dst from a JSON 1.1 request body and validates it. An
// empty body is an empty input, as the SDKs send "{}" or nothing.
func DecodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(dst); err != nil {
			return awserr.New("SerializationException", http.StatusBadRequest, "Start of structure or map found where not expected.")
		}
	}
	return Validate(dst)
}

// jsonCodes are the names the JSON 1.1 services give the errors the Query
// services name without the suffix.
var jsonCodes = map[string]string{
	"AccessDenied":               "AccessDeniedException",
	"ValidationError":            "InvalidInputException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"ExpiredToken":               "ExpiredTokenException",
	"InternalFailure":            "ServiceException",
}

// jsonCode returns the JSON protocol's name for an error code.
func jsonCode(code string) string {
	if c, ok := jsonCodes[code]; ok {
		return c
	}
	return code
}
