// Package wire is the hand-written runtime of the generated API packages
// (internal/api/iam, …): collecting validation errors in AWS's wording,
// reading Query forms and JSON bodies, writing JSON and audit values, and
// the Operation each generated table entry is. Nothing here uses
// reflection: the generated code knows every shape.
package wire
