package audit

import (
	"crypto/tls"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// EventVersion is the record format version mantle writes.
const EventVersion = "1.09"

// Record is a CloudTrail event record ("CloudTrail record contents"), the
// fields in the order AWS's examples show them.
type Record struct {
	EventVersion       string        `json:"eventVersion"`
	UserIdentity       UserIdentity  `json:"userIdentity"`
	EventTime          string        `json:"eventTime"`
	EventSource        string        `json:"eventSource"`
	EventName          string        `json:"eventName"`
	AWSRegion          string        `json:"awsRegion"`
	SourceIPAddress    string        `json:"sourceIPAddress"`
	UserAgent          string        `json:"userAgent"`
	ErrorCode          string        `json:"errorCode,omitempty"`
	ErrorMessage       string        `json:"errorMessage,omitempty"`
	RequestParameters  any           `json:"requestParameters"`
	ResponseElements   any           `json:"responseElements"`
	RequestID          string        `json:"requestID"`
	EventID            string        `json:"eventID"`
	ReadOnly           bool          `json:"readOnly"`
	Resources          []ResourceRef `json:"resources,omitempty"`
	EventType          string        `json:"eventType"`
	ManagementEvent    bool          `json:"managementEvent"`
	RecipientAccountID string        `json:"recipientAccountId"`
	EventCategory      string        `json:"eventCategory"`
	TLSDetails         *TLSDetails   `json:"tlsDetails,omitempty"`
}

// UserIdentity is the record's userIdentity element.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy        string          `json:"invokedBy,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
}

// SessionContext describes the session temporary credentials belong to.
type SessionContext struct {
	SessionIssuer  *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is who the session was obtained as: the role of a role
// session, the user of a federated user.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"` // "true" or "false", a string as in AWS's records
}

// ResourceRef is an element of the record's resources list.
type ResourceRef struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// Identity types of userIdentity.type.
const (
	TypeRoot            = "Root"
	TypeIAMUser         = "IAMUser"
	TypeAssumedRole     = "AssumedRole"
	TypeFederatedUser   = "FederatedUser"
	TypeWebIdentityUser = "WebIdentityUser"
	TypeSAMLUser        = "SAMLUser"
	TypeAWSService      = "AWSService"
	// TypeUnknown is CloudTrail's type for a request it could not tie to
	// an identity ("CloudTrail userIdentity element").
	TypeUnknown = "Unknown"
)

const recordTime = "2006-01-02T15:04:05Z"

// Source is the eventSource of a service: "iam" → "iam.amazonaws.com".
func Source(service string) string { return service + ".amazonaws.com" }

// Record builds the entry's CloudTrail record. Without Output and Err it
// is the provisional record of a request still running.
func (e *Entry) Record() *Record {
	ro := IsReadOnly(e.Service, e.Action)
	r := &Record{
		EventVersion:      EventVersion,
		EventTime:         e.Time.UTC().Format(recordTime),
		EventSource:       Source(e.Service),
		EventName:         e.Action,
		AWSRegion:         e.region(),
		SourceIPAddress:   e.SourceIP,
		UserAgent:         e.UserAgent,
		RequestParameters: Params(e.Input),
		RequestID:         e.RequestID,
		EventID:           e.EventID,
		ReadOnly:          ro,
		EventType:         eventType(e.Service),
		ManagementEvent:   true,
		EventCategory:     "Management",
	}
	switch {
	case e.Caller != nil:
		r.UserIdentity = callerIdentity(e.Caller)
		r.RecipientAccountID = e.Caller.AccountID
	case e.Invoker != "":
		// An AWS service assuming a role for a resource (EC2 for an
		// instance profile): AWSService, invokedBy the service, recorded
		// in the role's account.
		r.UserIdentity = UserIdentity{Type: TypeAWSService, InvokedBy: e.Invoker}
		r.RecipientAccountID = arnAccount(stringField(e.Input, "RoleArn"))
	default:
		r.UserIdentity, r.RecipientAccountID = federatedIdentity(e.Input, e.Output)
	}
	if e.Data {
		r.ManagementEvent, r.EventCategory = false, "Data"
	}
	if e.Recipient != "" {
		r.RecipientAccountID = e.Recipient
	}
	if e.Err != nil {
		if ae := awserr.As(e.Err); ae != nil {
			r.ErrorCode, r.ErrorMessage = ae.Code, ae.Message
		} else {
			r.ErrorCode, r.ErrorMessage = "InternalFailure", "An internal error occurred."
		}
	}
	// CloudTrail leaves responseElements null for reads and failures,
	// except the calls that issue credentials (they name the key they
	// issued) and sign-in events, which carry their outcome either way
	// ({"ConsoleLogin":"Failure"}).
	if e.Output != nil && (e.Err == nil || e.Service == "signin") && (!ro || issuesCredentials(e.Output)) {
		r.ResponseElements = Params(e.Output)
	}
	if roleARN := stringField(e.Input, "RoleArn"); roleARN != "" && e.Service == "sts" {
		r.Resources = []ResourceRef{{ARN: roleARN, AccountID: arnAccount(roleARN), Type: "AWS::IAM::Role"}}
	}
	r.Resources = append(r.Resources, e.Resources...)
	if st := e.TLS; st != nil {
		r.TLSDetails = &TLSDetails{
			TLSVersion:               tlsVersion(st.Version),
			CipherSuite:              tls.CipherSuiteName(st.CipherSuite),
			ClientProvidedHostHeader: e.Host,
		}
	}
	return r
}

// eventType is CloudTrail's: sign-in events (the console's ConsoleLogin
// and SwitchRole, source signin.amazonaws.com) are AwsConsoleSignIn.
func eventType(service string) string {
	if service == "signin" {
		return "AwsConsoleSignIn"
	}
	return "AwsApiCall"
}

func (e *Entry) region() string {
	// IAM and Organizations are global services: AWS records them in
	// us-east-1 whatever region the client signed for.
	if e.Region == "" || e.Service == "iam" || e.Service == "organizations" {
		return "us-east-1"
	}
	return e.Region
}

// Event builds the stored form of the entry's record.
func (e *Entry) Event() (*store.Event, error) {
	r := e.Record()
	b, err := r.AppendJSON(make([]byte, 0, 1024))
	if err != nil {
		return nil, err
	}
	return &store.Event{
		ID:          e.EventID,
		AccountID:   r.RecipientAccountID,
		Time:        e.Time,
		Name:        e.Action,
		Source:      r.EventSource,
		AccessKeyID: r.UserIdentity.AccessKeyID,
		Username:    username(&r.UserIdentity),
		ReadOnly:    r.ReadOnly,
		Resources:   e.eventResources(),
		Record:      b,
	}, nil
}

// eventResources are what LookupEvents finds the event by: its
// parameters' resources and the resources a data event names (by ARN).
func (e *Entry) eventResources() []store.EventResource {
	rs := Resources(e.Input, e.Output)
	for _, r := range e.Resources {
		rs = append(rs, store.EventResource{Type: r.Type, Name: r.ARN})
	}
	return rs
}

// AppendJSON appends the record as encoding/json would marshal it (the
// same members, order and escaping), without reflection: every call's
// event is built on the request path, and json.Marshal cost 4.8 µs and
// 9 allocations of it (BenchmarkEvent).
func (r *Record) AppendJSON(b []byte) ([]byte, error) {
	str := func(b []byte, key, v string) []byte {
		return wire.AppendJSONString(append(b, key...), v)
	}
	opt := func(b []byte, key, v string) []byte {
		if v == "" {
			return b
		}
		return str(b, key, v)
	}
	b = str(b, `{"eventVersion":`, r.EventVersion)
	u := &r.UserIdentity
	b = str(b, `,"userIdentity":{"type":`, u.Type)
	b = opt(b, `,"principalId":`, u.PrincipalID)
	b = opt(b, `,"arn":`, u.ARN)
	b = opt(b, `,"accountId":`, u.AccountID)
	b = opt(b, `,"accessKeyId":`, u.AccessKeyID)
	b = opt(b, `,"userName":`, u.UserName)
	if sc := u.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			b = str(b, `"sessionIssuer":{"type":`, si.Type)
			b = str(b, `,"principalId":`, si.PrincipalID)
			b = str(b, `,"arn":`, si.ARN)
			b = str(b, `,"accountId":`, si.AccountID)
			b = str(b, `,"userName":`, si.UserName)
			b = append(b, `},`...)
		}
		b = str(b, `"attributes":{"creationDate":`, sc.Attributes.CreationDate)
		b = str(b, `,"mfaAuthenticated":`, sc.Attributes.MFAAuthenticated)
		b = append(b, '}')
		b = opt(b, `,"sourceIdentity":`, sc.SourceIdentity)
		b = append(b, '}')
	}
	b = opt(b, `,"invokedBy":`, u.InvokedBy)
	b = opt(b, `,"identityProvider":`, u.IdentityProvider)
	b = str(b, `},"eventTime":`, r.EventTime)
	b = str(b, `,"eventSource":`, r.EventSource)
	b = str(b, `,"eventName":`, r.EventName)
	b = str(b, `,"awsRegion":`, r.AWSRegion)
	b = str(b, `,"sourceIPAddress":`, r.SourceIPAddress)
	b = str(b, `,"userAgent":`, r.UserAgent)
	b = opt(b, `,"errorCode":`, r.ErrorCode)
	b = opt(b, `,"errorMessage":`, r.ErrorMessage)
	var err error
	if b, err = appendRaw(append(b, `,"requestParameters":`...), r.RequestParameters); err != nil {
		return nil, err
	}
	if b, err = appendRaw(append(b, `,"responseElements":`...), r.ResponseElements); err != nil {
		return nil, err
	}
	b = str(b, `,"requestID":`, r.RequestID)
	b = str(b, `,"eventID":`, r.EventID)
	b = strconv.AppendBool(append(b, `,"readOnly":`...), r.ReadOnly)
	if len(r.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, res := range r.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(b, `{"ARN":`, res.ARN)
			b = str(b, `,"accountId":`, res.AccountID)
			b = str(b, `,"type":`, res.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = str(b, `,"eventType":`, r.EventType)
	b = strconv.AppendBool(append(b, `,"managementEvent":`...), r.ManagementEvent)
	b = str(b, `,"recipientAccountId":`, r.RecipientAccountID)
	b = str(b, `,"eventCategory":`, r.EventCategory)
	if t := r.TLSDetails; t != nil {
		b = str(b, `,"tlsDetails":{"tlsVersion":`, t.TLSVersion)
		b = str(b, `,"cipherSuite":`, t.CipherSuite)
		b = str(b, `,"clientProvidedHostHeader":`, t.ClientProvidedHostHeader)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendRaw appends a parameters value: the generated encoders' JSON as
// it is (it is compact and valid by construction), null for none, and
// anything else through encoding/json.
func appendRaw(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case json.RawMessage:
		if v == nil {
			return append(b, "null"...), nil
		}
		return append(b, v...), nil
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

// username is the LookupEvents Username of an identity: the user's name,
// a role session's name, "root".
func username(u *UserIdentity) string {
	switch u.Type {
	case TypeRoot:
		return "root"
	case TypeAssumedRole, TypeFederatedUser:
		_, name, _ := strings.Cut(u.PrincipalID, ":")
		return name
	}
	return u.UserName
}

func callerIdentity(c *auth.Caller) UserIdentity {
	u := UserIdentity{PrincipalID: c.UserID, ARN: c.ARN, AccountID: c.AccountID, AccessKeyID: c.AccessKeyID}
	switch c.Kind {
	case auth.KindRoot:
		u.Type = TypeRoot
	case auth.KindUser:
		u.Type, u.UserName = TypeIAMUser, c.Name
	case auth.KindAssumedRole:
		u.Type = TypeAssumedRole
	case auth.KindFederatedUser:
		u.Type = TypeFederatedUser
	default:
		// A data event whose signature did not verify: the key it
		// claimed, no identity.
		u.Type = TypeUnknown
	}
	if !c.Temporary {
		return u
	}
	sc := &SessionContext{
		Attributes:     SessionAttributes{CreationDate: c.TokenIssueTime.UTC().Format(recordTime), MFAAuthenticated: boolString(c.MFA)},
		SourceIdentity: c.SourceIdentity,
	}
	switch c.Kind {
	case auth.KindAssumedRole:
		sc.SessionIssuer = &SessionIssuer{Type: "Role", PrincipalID: c.ID, ARN: "arn:aws:iam::" + c.AccountID + ":role" + c.Path + c.Name,
			AccountID: c.AccountID, UserName: c.Name}
	case auth.KindFederatedUser:
		// The user (or root) that called GetFederationToken.
		iss := &SessionIssuer{Type: TypeIAMUser, PrincipalID: c.ID, ARN: c.SourceARN, AccountID: c.AccountID}
		if strings.HasSuffix(c.SourceARN, ":root") {
			iss.Type = TypeRoot
		} else {
			iss.UserName = c.SourceARN[strings.LastIndexByte(c.SourceARN, '/')+1:]
		}
		sc.SessionIssuer = iss
	}
	u.SessionContext = sc
	return u
}

// federatedIdentity is the identity of an unsigned AssumeRoleWithWebIdentity
// or AssumeRoleWithSAML call, from what the call returned; the event goes
// to the role's account.
func federatedIdentity(in, out wire.Fields) (UserIdentity, string) {
	account := arnAccount(stringField(in, "RoleArn"))
	if p := stringField(out, "Provider"); p != "" || stringField(in, "WebIdentityToken") != "" {
		sub := stringField(out, "SubjectFromWebIdentityToken")
		return UserIdentity{Type: TypeWebIdentityUser, PrincipalID: joinColon(p, stringField(out, "Audience"), sub),
			UserName: sub, IdentityProvider: p}, account
	}
	sub := stringField(out, "Subject")
	return UserIdentity{Type: TypeSAMLUser, PrincipalID: joinColon(stringField(out, "NameQualifier"), sub),
		UserName: sub, IdentityProvider: stringField(in, "PrincipalArn")}, account
}

func joinColon(parts ...string) string {
	var b []string
	for _, p := range parts {
		if p != "" {
			b = append(b, p)
		}
	}
	return strings.Join(b, ":")
}

func arnAccount(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[4]
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(v)
}

// IsReadOnly is CloudTrail's readOnly: every STS call (AssumeRole
// included) and the IAM and Organizations calls that only read.
func IsReadOnly(service, action string) bool {
	if service == "sts" {
		return true
	}
	for _, p := range []string{"Get", "List", "Describe", "Simulate", "Lookup"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// ParseTime reads a record's eventTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(recordTime, s) }
