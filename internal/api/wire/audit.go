package wire

import (
	"encoding/base64"
	"time"
)

// Audit values are CloudTrail's requestParameters and responseElements:
// AWS's member names in camelCase (only the first letter lowered), empty
// values left out, secrets hidden or left out. The generated AppendAudit
// methods write them; these are their shared pieces.

// Hidden is what CloudTrail writes in place of a password.
const Hidden = `"HIDDEN_DUE_TO_SECURITY_REASONS"`

// auditTime is the form CloudTrail gives times inside requestParameters
// and responseElements ("Jul 18, 2023, 4:07:39 PM"), unlike eventTime.
const auditTime = "Jan 2, 2006, 3:04:05 PM"

// AppendAuditTime appends t in CloudTrail's parameter form.
func AppendAuditTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, auditTime)
	return append(b, '"')
}

func base64Std(v []byte) string { return base64.StdEncoding.EncodeToString(v) }

// Auditable is a generated input or output: it writes its audit value
// (false when nothing is left to record) and answers for its members by
// name, which the audit record reads to name resources and identities.
type Auditable interface {
	AppendAudit(b []byte) ([]byte, bool)
	Fields
}

// Fields reads a generated structure's members by AWS's name.
type Fields interface {
	// StringField is the named string member, "" when absent or not a
	// string.
	StringField(name string) string
	// StructField is the named structure member, nil when absent.
	StructField(name string) Fields
}

// Key appends a member's key (`"name":`), after a comma unless it is the
// first.
func Key(b []byte, comma bool, key string) []byte {
	if comma {
		b = append(b, ',')
	}
	return append(b, key...)
}
