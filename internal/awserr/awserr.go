// Package awserr is the one error type every domain package returns when the
// caller should see a specific AWS error. It knows nothing of HTTP encoding:
// internal/awsproto turns an *Error into AWS's Query XML or JSON error shape.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error as AWS reports it: a code, a message, the HTTP status and
// whether the fault lies with the caller (Sender) or the service (Receiver).
type Error struct {
	Code    string
	Message string
	Status  int
	// Receiver marks a service-side fault; AWS writes <Type>Receiver</Type>.
	Receiver bool
	// Reason is the Reason member some JSON exceptions carry
	// (Organizations' ConstraintViolationException), "" for none.
	Reason string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an error with the given code, HTTP status and message.
func New(code string, status int, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Status: status, Message: msg}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// HasCode reports whether err carries the given AWS error code.
func HasCode(err error, code string) bool {
	e := As(err)
	return e != nil && e.Code == code
}

// Constructors for the codes shared by IAM, STS and the protocol layer. The
// statuses are the ones AWS documents for each code.

func NoSuchEntity(format string, args ...any) *Error {
	return New("NoSuchEntity", http.StatusNotFound, format, args...)
}

func EntityAlreadyExists(format string, args ...any) *Error {
	return New("EntityAlreadyExists", http.StatusConflict, format, args...)
}

func DeleteConflict(format string, args ...any) *Error {
	return New("DeleteConflict", http.StatusConflict, format, args...)
}

func LimitExceeded(format string, args ...any) *Error {
	return New("LimitExceeded", http.StatusConflict, format, args...)
}

func MalformedPolicyDocument(format string, args ...any) *Error {
	return New("MalformedPolicyDocument", http.StatusBadRequest, format, args...)
}

func InvalidInput(format string, args ...any) *Error {
	return New("InvalidInput", http.StatusBadRequest, format, args...)
}

func ValidationError(format string, args ...any) *Error {
	return New("ValidationError", http.StatusBadRequest, format, args...)
}

func MissingParameter(format string, args ...any) *Error {
	return New("MissingParameter", http.StatusBadRequest, format, args...)
}

func InvalidAction(format string, args ...any) *Error {
	return New("InvalidAction", http.StatusBadRequest, format, args...)
}

func AccessDenied(format string, args ...any) *Error {
	return New("AccessDenied", http.StatusForbidden, format, args...)
}

// InternalFailure is what the caller sees for any error that is not an
// *Error; the cause is logged, never sent.
func InternalFailure() *Error {
	return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError, Receiver: true,
		Message: "The request processing has failed because of an unknown error, exception or failure."}
}
