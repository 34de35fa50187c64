package awsproto

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
