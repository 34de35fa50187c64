package gate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/gate/authzapi"
)

// emptyHash is the SHA-256 of an empty body.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Action is what every request through the gate is authorized for.
const Action = "execute-api:Invoke"

// DefaultMaxBody is API Gateway's payload limit (10 MB).
const DefaultMaxBody = 10 << 20

// The headers the upstream reads the caller's identity from. Any header
// of the client's starting with HeaderPrefix is dropped first, so an
// upstream never sees an identity the gate did not establish.
const (
	HeaderPrefix         = "X-Mantle-"
	HeaderPrincipalARN   = "X-Mantle-Principal-Arn"
	HeaderAccountID      = "X-Mantle-Account-Id"
	HeaderUserID         = "X-Mantle-User-Id"
	HeaderPrincipalType  = "X-Mantle-Principal-Type"
	HeaderUserName       = "X-Mantle-User-Name"
	HeaderSessionName    = "X-Mantle-Session-Name"
	HeaderRoleARN        = "X-Mantle-Role-Arn"
	HeaderAccessKeyID    = "X-Mantle-Access-Key-Id"
	HeaderSourceIdentity = "X-Mantle-Source-Identity"
	// HeaderPrincipalTags holds every aws:PrincipalTag as a query string
	// (key=value&…, URL-encoded): tag keys may hold characters a header
	// name cannot.
	HeaderPrincipalTags = "X-Mantle-Principal-Tags"
	// HeaderError carries a refusal's JSON body in auth_request mode.
	HeaderError = "X-Mantle-Error"
)

// Route is one API stage behind the gate.
type Route struct {
	APIID string
	Stage string
	// Account owns the API and Region is its region: both are in the
	// ARN the caller's policies name.
	Account  string
	Region   string
	Upstream *url.URL
	// Policy, when set, is the API's resource policy.
	Policy *PolicyFile

	proxy *httputil.ReverseProxy
}

// Config configures a Gate.
type Config struct {
	Routes     []*Route
	Authorizer Authorizer
	// AuthRequest makes the gate answer nginx's auth_request subrequests
	// instead of proxying: the client's method, URI and address come from
	// X-Original-Method, X-Original-URI and X-Real-IP (set by nginx, so
	// the gate must be reachable by nginx only), and an allowed request is
	// answered 200 with the identity headers for nginx to pass on.
	AuthRequest bool
	MaxBody     int64
	Log         *slog.Logger
	// Transport reaches the upstreams; a pooled clone of the default when
	// nil.
	Transport http.RoundTripper
}

// Gate is the reverse proxy. Safe for concurrent use.
type Gate struct {
	cfg    Config
	routes []*Route
}

// New checks the routes and builds the gate.
func New(cfg Config) (*Gate, error) {
	if cfg.Authorizer == nil {
		return nil, errors.New("gate: no authorizer")
	}
	if len(cfg.Routes) == 0 {
		return nil, errors.New("gate: no route")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Transport == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 1024
		tr.MaxIdleConnsPerHost = 1024
		cfg.Transport = tr
	}
	g := &Gate{cfg: cfg, routes: cfg.Routes}
	for _, rt := range cfg.Routes {
		if err := rt.check(cfg.AuthRequest); err != nil {
			return nil, err
		}
		if rt.Upstream != nil {
			rt.proxy = g.newProxy(rt)
		}
	}
	return g, nil
}

func (rt *Route) check(authRequest bool) error {
	switch {
	case !validName(rt.APIID):
		return fmt.Errorf("route %q: an API ID is letters and digits", rt.APIID)
	case !validName(rt.Stage):
		return fmt.Errorf("route %s: a stage name is letters, digits, '-' and '_', got %q", rt.APIID, rt.Stage)
	case len(rt.Account) != 12 || strings.Trim(rt.Account, "0123456789") != "":
		return fmt.Errorf("route %s/%s: the account is 12 digits, got %q", rt.APIID, rt.Stage, rt.Account)
	case rt.Region == "":
		return fmt.Errorf("route %s/%s: a region is required", rt.APIID, rt.Stage)
	case rt.Upstream == nil && !authRequest:
		return fmt.Errorf("route %s/%s: an upstream URL is required", rt.APIID, rt.Stage)
	case rt.Upstream != nil && (rt.Upstream.Scheme != "http" && rt.Upstream.Scheme != "https" || rt.Upstream.Host == ""):
		return fmt.Errorf("route %s/%s: the upstream must be an http:// or https:// URL, got %q", rt.APIID, rt.Stage, rt.Upstream)
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Run reloads the routes' resource policies when their files change,
// until ctx is done.
func (g *Gate) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.Reload()
		}
	}
}

// Reload rereads every resource policy file that changed; a file that no
// longer validates is logged and the policy in force kept.
func (g *Gate) Reload() {
	for _, rt := range g.routes {
		if rt.Policy == nil {
			continue
		}
		changed, err := rt.Policy.Reload()
		switch {
		case err != nil:
			g.cfg.Log.Error("resource policy not reloaded; the previous one stays in force", "api", rt.APIID, "stage", rt.Stage, "file", rt.Policy.Path, "err", err)
		case changed:
			g.cfg.Log.Info("resource policy reloaded", "api", rt.APIID, "stage", rt.Stage, "file", rt.Policy.Path)
		}
	}
}

// facts is what the gate knows of a client's request.
type facts struct {
	method  string
	uri     string // request target as sent: escaped path and query
	ip      string
	secure  bool
	headers http.Header
	host    string
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := awsproto.NewRequestID()
	f := facts{method: r.Method, uri: r.RequestURI, ip: remoteIP(r.RemoteAddr), secure: r.TLS != nil, headers: r.Header, host: r.Host}
	if g.cfg.AuthRequest {
		f.method = r.Header.Get("X-Original-Method")
		f.uri = r.Header.Get("X-Original-Uri")
		if ip := r.Header.Get("X-Real-Ip"); ip != "" {
			f.ip = ip
		}
		f.secure = strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
		if f.method == "" || f.uri == "" {
			g.refuse(w, reqID, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
			g.cfg.Log.Error("auth_request without X-Original-Method and X-Original-URI: see docs/gate.md for the nginx configuration")
			return
		}
	}
	if i := strings.Index(f.uri, "://"); i >= 0 && !strings.HasPrefix(f.uri, "/") {
		// absolute-form (a client speaking to a proxy): the path is
		// what follows the authority, as the signature has it.
		rest := f.uri[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			f.uri = rest[j:]
		} else {
			f.uri = "/"
		}
	}
	rawPath, rawQuery, _ := strings.Cut(f.uri, "?")
	path, err := url.PathUnescape(rawPath)
	if err != nil || !strings.HasPrefix(path, "/") {
		g.refuse(w, reqID, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	if !signed(f.headers, rawQuery) {
		// Nothing to verify: refused here, as API Gateway refuses it,
		// without a round trip (or an event) in mantle.
		g.refuse(w, reqID, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	stage, resourcePath := splitStage(path)
	rt := g.route(stage, f.host)
	if rt == nil {
		// API Gateway's answer to a path no stage serves: it does not
		// say whether the path exists.
		g.refuse(w, reqID, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	var body []byte
	var bodyHash string
	if g.cfg.AuthRequest {
		// nginx cannot pass the body to an auth_request subrequest (it
		// has not read it yet): a request with one is checked against
		// the hash its client signed in X-Amz-Content-Sha256, which
		// nginx does not compare with the body (docs/gate.md).
		if n := r.Header.Get("X-Original-Content-Length"); n != "" && n != "0" || r.Header.Get("X-Original-Transfer-Encoding") != "" {
			bodyHash = r.Header.Get("X-Amz-Content-Sha256")
			if len(bodyHash) != 64 {
				g.refuse(w, reqID, http.StatusForbidden, "IncompleteSignatureException",
					"A request with a body must sign its SHA-256 in X-Amz-Content-Sha256 when mantle gate answers nginx's auth_request.")
				return
			}
		} else {
			bodyHash = emptyHash
		}
	} else {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBody+1))
		if err != nil {
			g.refuse(w, reqID, http.StatusBadRequest, "BadRequestException", "Invalid request body")
			return
		}
		if int64(len(body)) > g.cfg.MaxBody {
			g.refuse(w, reqID, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request Too Long")
			return
		}
		sum := sha256.Sum256(body)
		bodyHash = hex.EncodeToString(sum[:])
	}
	in := &authzapi.Input{
		Action:   Action,
		Resource: rt.ARN(f.method, resourcePath),
		Request: authzapi.SignedRequest{
			Method: f.method, Path: rawPath, Query: rawQuery,
			Headers:    signedHeaders(f.headers, f.host),
			BodySHA256: bodyHash,
			SourceIP:   f.ip, SecureTransport: f.secure, UserAgent: f.headers.Get("User-Agent"),
		},
	}
	if rt.Policy != nil {
		in.ResourcePolicy = rt.Policy.Document()
	}
	out, err := g.cfg.Authorizer.Authorize(r.Context(), in)
	if err != nil {
		if r.Context().Err() == nil {
			g.cfg.Log.Error("mantle did not decide", "api", rt.APIID, "request_id", reqID, "err", err)
		}
		g.refuse(w, reqID, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
		return
	}
	if !out.Authenticated || !out.Allowed {
		status, typ := out.Status, out.ErrorType
		if status == 0 {
			status, typ = http.StatusForbidden, "AccessDeniedException"
		}
		g.refuse(w, reqID, status, typ, out.Message)
		return
	}
	if g.cfg.AuthRequest {
		setIdentity(w.Header(), out.Principal)
		w.WriteHeader(http.StatusOK)
		return
	}
	for k := range r.Header {
		if strings.HasPrefix(k, HeaderPrefix) {
			delete(r.Header, k)
		}
	}
	// The client's credentials are for the gate: an upstream that saw
	// them could replay the request within the signature's 15 minutes.
	r.Header.Del("Authorization")
	r.Header.Del("X-Amz-Security-Token")
	setIdentity(r.Header, out.Principal)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rt.proxy.ServeHTTP(w, r)
}

// signed reports whether a request carries a signature at all: an
// Authorization header or presigning parameters.
func signed(h http.Header, rawQuery string) bool {
	if h.Get("Authorization") != "" {
		return true
	}
	return strings.Contains(rawQuery, "X-Amz-Signature=") || strings.Contains(rawQuery, "X-Amz-Credential=")
}

// ARN is the execute-api resource of a request: API_ID/STAGE/METHOD/PATH
// with the path after the stage, without its leading slash.
func (rt *Route) ARN(method, resourcePath string) string {
	return "arn:aws:execute-api:" + rt.Region + ":" + rt.Account + ":" + rt.APIID + "/" + rt.Stage + "/" + method + resourcePath
}

// splitStage splits "/prod/pets/1" into "prod" and "/pets/1".
func splitStage(path string) (string, string) {
	rest := path[1:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], rest[i:]
	}
	return rest, "/"
}

// route finds the stage's route; several APIs with the same stage are told
// apart by the host's first label (API_ID.execute-api.…), as API Gateway's
// endpoints are.
func (g *Gate) route(stage, host string) *Route {
	var found *Route
	n := 0
	label, _, _ := strings.Cut(host, ".")
	for _, rt := range g.routes {
		if rt.Stage != stage {
			continue
		}
		if rt.APIID == label {
			return rt
		}
		found = rt
		n++
	}
	if n == 1 {
		return found
	}
	return nil
}

// signedHeaders is the client's headers as the signature saw them, Host
// included (net/http keeps it apart).
func signedHeaders(h http.Header, host string) map[string][]string {
	m := make(map[string][]string, len(h)+1)
	for k, v := range h {
		m[k] = v
	}
	m["Host"] = []string{host}
	return m
}

func setIdentity(h http.Header, p *authzapi.PrincipalInfo) {
	if p == nil {
		return
	}
	set := func(k, v string) {
		if v != "" {
			h[k] = []string{v}
		}
	}
	set(HeaderPrincipalARN, p.ARN)
	set(HeaderAccountID, p.AccountID)
	set(HeaderUserID, p.UserID)
	set(HeaderPrincipalType, p.Type)
	set(HeaderUserName, p.UserName)
	set(HeaderSessionName, p.SessionName)
	set(HeaderRoleARN, p.RoleARN)
	set(HeaderAccessKeyID, p.AccessKeyID)
	set(HeaderSourceIdentity, p.SourceIdentity)
	if len(p.Tags) > 0 {
		var b strings.Builder
		for i, t := range p.Tags {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(t.Key))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(t.Value))
		}
		h[HeaderPrincipalTags] = []string{b.String()}
	}
}

// refuse answers as API Gateway does: the status, x-amzn-ErrorType, and
// {"message": …}.
func (g *Gate) refuse(w http.ResponseWriter, reqID string, status int, errType, msg string) {
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", errType)
	h.Set("X-Amzn-Requestid", reqID)
	if g.cfg.AuthRequest {
		// nginx answers a refused auth_request with its own page; the
		// configuration in docs/gate.md answers with this instead.
		h.Set(HeaderError, string(b))
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func (g *Gate) newProxy(rt *Route) *httputil.ReverseProxy {
	target := rt.Upstream
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The upstream serves the API's resources: the stage is
			// the gate's, as API Gateway's proxy integrations drop it.
			raw := pr.In.URL.EscapedPath()
			if i := strings.IndexByte(raw[1:], '/'); i >= 0 {
				raw = raw[i+1:]
			} else {
				raw = "/"
			}
			p, _ := url.PathUnescape(raw)
			pr.Out.URL.Path, pr.Out.URL.RawPath = p, raw
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport:  g.cfg.Transport,
		BufferPool: bufferPool{},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.cfg.Log.Error("upstream failed", "api", rt.APIID, "upstream", target.String(), "err", err)
			g.refuse(w, awsproto.NewRequestID(), http.StatusBadGateway, "InternalServerErrorException", "Internal server error")
		},
	}
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// bufferPool lends ReverseProxy its copy buffers, which it would
// otherwise allocate (32 KB) for every response.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

func (bufferPool) Get() []byte  { return copyBuffers.Get().(*[32 << 10]byte)[:] }
func (bufferPool) Put(b []byte) {
	if len(b) == 32<<10 {
		copyBuffers.Put((*[32 << 10]byte)(b))
	}
}
