package federation

// Kind classifies why an external identity was refused; internal/sts maps
// it to AWS's error code.
type Kind int

const (
	// Invalid is a token or assertion that is not acceptable
	// (InvalidIdentityToken).
	Invalid Kind = iota + 1
	// Expired is a token or assertion past its validity
	// (ExpiredTokenException).
	Expired
	// Unreachable is an identity provider that could not be asked for its
	// keys (IDPCommunicationError).
	Unreachable
	// Rejected is a genuine identity whose claims do not allow the request
	// (IDPRejectedClaim).
	Rejected
)

// Error is a refusal with the message AWS gives the caller.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// New is a refusal of kind k.
func New(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Tag is a session tag an identity provider asserts.
type Tag struct{ Key, Value string }
