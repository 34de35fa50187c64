package policy

import "fmt"

// Kind is the place a policy is used in; each kind has its own validation
// rules (see "IAM JSON policy element reference" and the Organizations
// "SCP syntax" and "RCP syntax" pages).
type Kind uint8

// Policy kinds.
const (
	KindIdentity Kind = iota + 1 // managed or inline identity-based policy
	KindResource                 // resource-based policy (S3 bucket, SQS queue, KMS key, ...)
	KindTrust                    // role trust policy (AssumeRolePolicyDocument)
	KindBoundary                 // permissions boundary
	KindSession                  // STS session policy
	KindSCP                      // Organizations service control policy
	KindRCP                      // Organizations resource control policy
)

var kindNames = [...]string{
	KindIdentity: "identity",
	KindResource: "resource",
	KindTrust:    "trust",
	KindBoundary: "boundary",
	KindSession:  "session",
	KindSCP:      "scp",
	KindRCP:      "rcp",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind maps the CLI spelling ("identity", "resource", "trust",
// "boundary", "session", "scp", "rcp") to a Kind.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown policy kind %q (want identity, resource, trust, boundary, session, scp or rcp)", s)
}

// hasPrincipals reports whether statements of this kind name principals.
func (k Kind) hasPrincipals() bool { return k == KindResource || k == KindTrust || k == KindRCP }
