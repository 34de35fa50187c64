package imds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts"
)

// IMDS header names.
const (
	headerToken    = "X-aws-ec2-metadata-token"
	headerTokenTTL = "X-aws-ec2-metadata-token-ttl-seconds"
)

// InstanceConfig is what the instance metadata service describes.
type InstanceConfig struct {
	Store  Store
	Issuer Issuer
	// AccountID owns the instance and its instance profile.
	AccountID string
	// InstanceProfile is the profile's name, or its ARN.
	InstanceProfile string
	// InstanceID is the i-… ID, the session name of the role's sessions.
	InstanceID string
	// Region defaults to us-east-1; AvailabilityZone to Region + "a".
	Region           string
	AvailabilityZone string
	// Refresh is the rotation window (DefaultRefresh when 0).
	Refresh time.Duration
	Now     func() time.Time
	Log     *slog.Logger
}

// Instance is the IMDSv2 HTTP handler for one instance.
type Instance struct {
	cfg     InstanceConfig
	session *Session
	key     tokenKey
	started time.Time
}

// NewInstance returns the handler for cfg.
func NewInstance(cfg InstanceConfig) (*Instance, error) {
	if !validInstanceID(cfg.InstanceID) {
		return nil, fmt.Errorf("instance ID %q: want i- and 8 or 17 lower-case hex digits", cfg.InstanceID)
	}
	if cfg.InstanceProfile == "" {
		return nil, errors.New("an instance profile is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AvailabilityZone == "" {
		cfg.AvailabilityZone = cfg.Region + "a"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if acct, name, ok := parseIAMARN(cfg.InstanceProfile, "instance-profile"); ok {
		cfg.AccountID, cfg.InstanceProfile = acct, name
	}
	return &Instance{
		cfg: cfg,
		session: &Session{
			Issuer: cfg.Issuer, Service: sts.ServiceEC2, Name: cfg.InstanceID, Region: cfg.Region,
			SourceArn: "arn:aws:ec2:" + cfg.Region + ":" + cfg.AccountID + ":instance/" + cfg.InstanceID,
			Rotator:   Rotator{Now: cfg.Now, Refresh: cfg.Refresh},
		},
		key:     newTokenKey(),
		started: cfg.Now().UTC().Truncate(time.Second),
	}, nil
}

// validInstanceID accepts EC2's two forms of instance ID.
func validInstanceID(id string) bool {
	hex, ok := strings.CutPrefix(id, "i-")
	if !ok || (len(hex) != 8 && len(hex) != 17) {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// parseIAMARN splits arn:aws:iam::ACCOUNT:TYPE/PATH/NAME into account and
// name when TYPE is typ (role, instance-profile).
func parseIAMARN(arn, typ string) (account, name string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:iam::")
	if !found {
		return "", "", false
	}
	account, res, found := strings.Cut(rest, ":")
	if !found || !strings.HasPrefix(res, typ+"/") {
		return "", "", false
	}
	name = res[strings.LastIndexByte(res, '/')+1:]
	return account, name, name != ""
}

func (m *Instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "EC2ws")
	if r.URL.Path == "/latest/api/token" {
		m.token(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		fail(w, http.StatusMethodNotAllowed)
		return
	}
	// HttpTokens=required: an IMDSv1 request (no token) is refused as is a
	// wrong or expired token.
	if tok := r.Header.Get(headerToken); tok == "" || !m.key.valid(tok, m.cfg.Now()) {
		fail(w, http.StatusUnauthorized)
		return
	}
	body, status := m.get(r.Context(), r.URL.Path)
	if status != http.StatusOK {
		fail(w, status)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(body))
	}
}

// token answers PUT /latest/api/token.
func (m *Instance) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", "PUT")
		fail(w, http.StatusMethodNotAllowed)
		return
	}
	// IMDS refuses token requests that went through a proxy, so that a
	// misconfigured proxy on the instance cannot hand tokens out.
	if len(r.Header.Values("X-Forwarded-For")) > 0 {
		fail(w, http.StatusForbidden)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get(headerTokenTTL))
	if err != nil || ttl < minTokenTTL || ttl > maxTokenTTL {
		fail(w, http.StatusBadRequest)
		return
	}
	tok := m.key.mint(m.cfg.Now().Add(time.Duration(ttl) * time.Second))
	w.Header().Set(headerTokenTTL, strconv.Itoa(ttl))
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(tok)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(tok))
}

// get returns the document at path, or the status to fail with.
func (m *Instance) get(ctx context.Context, path string) (string, int) {
	// Directories answer with or without their trailing slash.
	p := strings.TrimSuffix(path, "/")
	switch p {
	case "":
		return "latest", http.StatusOK
	case "/latest":
		return "dynamic\nmeta-data", http.StatusOK
	case "/latest/dynamic":
		return "instance-identity/", http.StatusOK
	case "/latest/dynamic/instance-identity":
		return "document", http.StatusOK
	case "/latest/dynamic/instance-identity/document":
		return m.identityDocument(), http.StatusOK
	case "/latest/meta-data":
		// iam/ is listed only while the instance has a profile with a role.
		if _, _, err := m.profile(ctx); err != nil {
			return "instance-id\nplacement/", http.StatusOK
		}
		return "iam/\ninstance-id\nplacement/", http.StatusOK
	case "/latest/meta-data/instance-id":
		return m.cfg.InstanceID, http.StatusOK
	case "/latest/meta-data/placement":
		return "availability-zone\nregion", http.StatusOK
	case "/latest/meta-data/placement/availability-zone":
		return m.cfg.AvailabilityZone, http.StatusOK
	case "/latest/meta-data/placement/region":
		return m.cfg.Region, http.StatusOK
	case "/latest/meta-data/iam":
		return "info\nsecurity-credentials/", http.StatusOK
	}
	if p != "/latest/meta-data/iam/info" && !strings.HasPrefix(p, "/latest/meta-data/iam/security-credentials") {
		return "", http.StatusNotFound
	}
	// Everything under iam/ describes the instance profile as it is now:
	// an instance without one (deleted, or holding no role) has no iam/
	// documents, as on EC2.
	prof, role, err := m.profile(ctx)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			m.cfg.Log.Error("imds: reading the instance profile", "profile", m.cfg.InstanceProfile, "err", err)
			return "", http.StatusInternalServerError
		}
		return "", http.StatusNotFound
	}
	switch rest := strings.TrimPrefix(p, "/latest/meta-data/iam/security-credentials"); {
	case p == "/latest/meta-data/iam/info":
		return ec2JSON(
			"Code", "Success",
			"LastUpdated", m.lastUpdated().Format(timeFormat),
			"InstanceProfileArn", "arn:aws:iam::"+prof.AccountID+":instance-profile"+prof.Path+prof.Name,
			"InstanceProfileId", prof.ID,
		), http.StatusOK
	case rest == "":
		return role.Name, http.StatusOK
	case rest == "/"+role.Name:
		return m.roleCredentials(ctx, role), http.StatusOK
	}
	return "", http.StatusNotFound
}

// profile reads the instance profile and its role.
func (m *Instance) profile(ctx context.Context) (*store.InstanceProfile, *store.Role, error) {
	prof, err := m.cfg.Store.InstanceProfiles().Get(ctx, m.cfg.AccountID, m.cfg.InstanceProfile)
	if err != nil {
		return nil, nil, err
	}
	if prof.RoleID == "" {
		return nil, nil, store.ErrNotFound
	}
	role, err := m.cfg.Store.Roles().GetByID(ctx, prof.RoleID)
	if err != nil {
		return nil, nil, err
	}
	return prof, role, nil
}

// roleCredentials is the security-credentials/ROLE document. A role EC2
// cannot assume is reported in the document, as EC2 does, with a Code
// other than Success.
func (m *Instance) roleCredentials(ctx context.Context, role *store.Role) string {
	c, err := m.session.credentials(ctx, role)
	if err != nil {
		code, msg := "AssumeRoleUnauthorizedAccess", "EC2 cannot assume the role "+role.Name+"."
		if !awserr.HasCode(err, "AccessDenied") {
			m.cfg.Log.Error("imds: issuing credentials", "role", role.Name, "err", err)
			code, msg = "InternalError", "EC2 could not obtain credentials for the role "+role.Name+"."
		}
		return ec2JSON("Code", code, "Message", msg, "LastUpdated", m.cfg.Now().UTC().Format(timeFormat))
	}
	return ec2JSON(
		"Code", "Success",
		"LastUpdated", c.LastUpdated.Format(timeFormat),
		"Type", "AWS-HMAC",
		"AccessKeyId", c.AccessKeyID,
		"SecretAccessKey", c.SecretAccessKey,
		"Token", c.SessionToken,
		"Expiration", c.Expiration.UTC().Format(timeFormat),
	)
}

// lastUpdated is when the instance's credentials last changed.
func (m *Instance) lastUpdated() time.Time {
	if c := m.session.Rotator.Last(); c != nil {
		return c.LastUpdated
	}
	return m.started
}

// identityDocument is the instance identity document. mantle knows no AMI,
// instance type or network, so it gives the fields SDKs and tools read
// (region, availability zone, account, instance) and leaves the others out.
func (m *Instance) identityDocument() string {
	arch := runtime.GOARCH
	if arch == "amd64" {
		arch = "x86_64"
	}
	return "{\n" +
		`  "accountId" : ` + quote(m.cfg.AccountID) + ",\n" +
		`  "architecture" : ` + quote(arch) + ",\n" +
		`  "availabilityZone" : ` + quote(m.cfg.AvailabilityZone) + ",\n" +
		`  "billingProducts" : null,` + "\n" +
		`  "devpayProductCodes" : null,` + "\n" +
		`  "marketplaceProductCodes" : null,` + "\n" +
		`  "instanceId" : ` + quote(m.cfg.InstanceID) + ",\n" +
		`  "pendingTime" : ` + quote(m.started.Format(timeFormat)) + ",\n" +
		`  "region" : ` + quote(m.cfg.Region) + ",\n" +
		`  "version" : "2017-09-30"` + "\n}"
}

const timeFormat = "2006-01-02T15:04:05Z"

// ec2JSON writes key/value pairs in order as IMDS formats its JSON
// documents ("Key" : "value", two-space indent).
func ec2JSON(kv ...string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := 0; i < len(kv); i += 2 {
		b.WriteString("  " + quote(kv[i]) + " : " + quote(kv[i+1]))
		if i+2 < len(kv) {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteByte('}')
	return b.String()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fail answers with IMDS's HTML error page for status.
func fail(w http.ResponseWriter, status int) {
	text := strconv.Itoa(status) + " - " + http.StatusText(status)
	body := `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
		 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>` + text + `</title>
 </head>
 <body>
  <h1>` + text + `</h1>
 </body>
</html>
`
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
