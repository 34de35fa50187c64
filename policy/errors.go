package policy

// Error codes, as IAM and STS return them.
const (
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodeLimitExceeded           = "LimitExceeded"
	CodePackedPolicyTooLarge    = "PackedPolicyTooLarge"
)

// Messages IAM uses for MalformedPolicyDocument. They are part of the API
// contract because clients and tests match on them.
const (
	msgSyntax          = "Syntax errors in policy."
	msgNoPrincipal     = "Policy document should not specify a principal."
	msgMissingPrinc    = "Missing required field Principal"
	msgUniqueSid       = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum        = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgLegacy          = "The policy failed legacy parsing"
	msgVendor          = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon        = "Actions/Condition can contain only one colon."
	msgInvalidResource = "Policy has invalid resource"
	msgNeedActions     = "Policy statement must contain actions."
	msgNeedResources   = "Policy statement must contain resources."
	msgMissingEffect   = "Missing required field Effect"
	msgInvalidPrinc    = "Invalid principal in policy"
	msgTrustActions    = "AssumeRole policy may only specify STS AssumeRole actions."
	msgOrgPolicyType   = "The provided policy document does not meet the requirements of the specified policy type."
)

// Error is a policy document rejected the way IAM rejects it. Code is the AWS
// error code ("MalformedPolicyDocument", "LimitExceeded", ...) and Message is
// IAM's wording, so the server can return both unchanged.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func malformed(msg string) *Error {
	return &Error{Code: CodeMalformedPolicyDocument, Message: msg}
}
