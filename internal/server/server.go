package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/sigv4"
)

// maxBody bounds a request body. IAM's largest parameters are policy
// documents (a few KiB) and SAML metadata (≤ 10 MB in AWS, far less in
// practice); 1 MiB leaves room for SAML assertions.
const maxBody = 1 << 20

// handler serves one operation for an authenticated caller from its
// request (a Query form, a JSON body): a generated operation (Operations).
// The result is nil for an operation without output.
type handler[R any] func(ctx context.Context, c *auth.Caller, req R) (result wire.Auditable, err error)

// QueryHandler serves one Query-protocol action.
type QueryHandler = handler[url.Values]

// UnsignedHandler serves an action that AWS accepts without a signature
// (AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
type UnsignedHandler func(ctx context.Context, r *RequestInfo, form url.Values) (result wire.Auditable, err error)

// QueryService is a Query-protocol API served on the shared endpoint.
type QueryService struct {
	Name      string // the SigV4 scope service: "iam", "sts"
	Version   string // the API version clients send
	Namespace string // the XML namespace of responses
	Actions   map[string]QueryHandler
	Unsigned  map[string]UnsignedHandler
	// Admit, when set, refuses callers the service never serves whatever
	// their policies say (e.g. IAM and federation tokens).
	Admit func(c *auth.Caller) error
}

// JSONHandler serves one JSON 1.1 operation (X-Amz-Target).
type JSONHandler = handler[[]byte]

// JSONService is an AWS JSON 1.1 API: operations are named by the target
// prefix, e.g. "AWSOrganizationsV20161128".
type JSONService struct {
	Name         string
	TargetPrefix string
	Operations   map[string]JSONHandler
}

// RequestInfo is what the server knows of a request before authentication.
type RequestInfo struct {
	ID              string
	SourceIP        string
	SecureTransport bool
	UserAgent       string
	Time            time.Time
}

// Authenticator turns a verified signature into a caller.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, sc *sigv4.Scope, info *RequestInfo) (*auth.Caller, error)
}

// Handler is mantle's HTTP front: it decodes AWS protocols, authenticates,
// dispatches to the action and encodes the answer.
type Handler struct {
	Auth     Authenticator
	Query    []*QueryService
	JSON     []*JSONService
	Internal http.Handler // serves /_mantle/
	Log      *slog.Logger
	Now      func() time.Time
	// Audit, when set, receives every call's event once the call is
	// answered.
	Audit AuditRecorder
}

// AuditRecorder takes completed audit entries; it must not block.
type AuditRecorder interface {
	Record(e *audit.Entry)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_mantle/") {
		if h.Internal == nil {
			http.NotFound(w, r)
			return
		}
		h.Internal.ServeHTTP(w, r)
		return
	}
	info := &RequestInfo{
		ID:              awsproto.NewRequestID(),
		SourceIP:        remoteIP(r.RemoteAddr),
		SecureTransport: r.TLS != nil,
		UserAgent:       r.UserAgent(),
		Time:            h.Now(),
	}
	l := &logLine{info: info}
	defer h.log(r, l)
	defer func() {
		// A bug must cost one request an InternalFailure, not the
		// connection and not the process.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.fail(w, l, nil, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		h.fail(w, l, nil, awserr.New("IncompleteBody", http.StatusBadRequest, "The request body could not be read."))
		return
	}
	if len(body) > maxBody {
		h.fail(w, l, nil, awserr.New("RequestEntityTooLarge", http.StatusRequestEntityTooLarge, "Request body is larger than %d bytes.", maxBody))
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		h.serveJSON(w, r, body, target, l)
		return
	}
	h.serveQuery(w, r, body, l)
}

func (h *Handler) serveQuery(w http.ResponseWriter, r *http.Request, body []byte, l *logLine) {
	form, err := queryForm(r, body)
	if err != nil {
		h.fail(w, l, nil, awserr.New("MalformedQueryString", http.StatusBadRequest, "The query string is malformed."))
		return
	}
	action := form.Get("Action")
	l.action = action
	ctx := r.Context()

	sc, scopeErr := sigv4.ParseScope(r)
	if scopeErr != nil {
		// AWS lets web identity and SAML federation in unsigned; everything
		// else needs a signature.
		if svc := h.serviceForUnsigned(form, action); svc != nil && awserr.HasCode(scopeErr, "MissingAuthenticationToken") {
			l.service = svc
			ctx, e := h.begin(ctx, r, l, svc.Name, nil)
			res, err := svc.Unsigned[action](ctx, l.info, form)
			h.record(e, res, err)
			h.writeQuery(w, l, svc, action, res, err)
			return
		}
		h.fail(w, l, h.serviceForVersion(form), scopeErr)
		return
	}
	svc := h.queryService(sc.Service)
	l.service = svc
	if svc == nil {
		h.fail(w, l, h.serviceForVersion(form), awserr.New("InvalidClientTokenId", http.StatusForbidden,
			"Credential should be scoped to a valid service: '%s'.", sc.Service))
		return
	}
	caller, err := h.Auth.Authenticate(ctx, r, body, &sc, l.info)
	if err != nil {
		h.fail(w, l, svc, err)
		return
	}
	l.principal = caller.ARN
	if svc.Admit != nil {
		if err := svc.Admit(caller); err != nil {
			if svc.Actions[action] != nil {
				_, e := h.begin(ctx, r, l, svc.Name, caller)
				h.record(e, nil, err)
			}
			h.fail(w, l, svc, err)
			return
		}
	}
	if action == "" {
		h.fail(w, l, svc, awserr.MissingParameter("The request must contain the parameter Action."))
		return
	}
	fn, ok := svc.Actions[action]
	if !ok {
		if _, unsigned := svc.Unsigned[action]; unsigned {
			ctx, e := h.begin(ctx, r, l, svc.Name, nil)
			res, err := svc.Unsigned[action](ctx, l.info, form)
			h.record(e, res, err)
			h.writeQuery(w, l, svc, action, res, err)
			return
		}
		h.fail(w, l, svc, awserr.InvalidAction("Could not find operation %s for version %s", action, svc.Version))
		return
	}
	if v := form.Get("Version"); v != "" && v != svc.Version {
		h.fail(w, l, svc, awserr.New("InvalidAction", http.StatusBadRequest, "Could not find operation %s for version %s", action, v))
		return
	}
	ctx, e := h.begin(ctx, r, l, svc.Name, caller)
	res, err := fn(ctx, caller, form)
	h.record(e, res, err)
	h.writeQuery(w, l, svc, action, res, err)
}

// begin starts the audit entry of a call about to be served; the action
// fills in its input (audit.SetInput) and IAM writes stage it (audit.Stage).
func (h *Handler) begin(ctx context.Context, r *http.Request, l *logLine, service string, c *auth.Caller) (context.Context, *audit.Entry) {
	if h.Audit == nil {
		return ctx, nil
	}
	e := &audit.Entry{
		EventID:   audit.NewEventID(l.info.Time),
		RequestID: l.info.ID,
		Time:      l.info.Time,
		Service:   service,
		Action:    l.action,
		Caller:    c,
		SourceIP:  l.info.SourceIP,
		UserAgent: l.info.UserAgent,
		TLS:       r.TLS,
		Host:      r.Host,
	}
	if c != nil {
		e.Region = c.Region
	} else if sc, err := sigv4.ParseScope(r); err == nil {
		e.Region = sc.Region
	}
	return audit.With(ctx, e), e
}

// record hands the answered call's entry to the recorder.
func (h *Handler) record(e *audit.Entry, res wire.Auditable, err error) {
	if e == nil {
		return
	}
	if res != nil {
		e.Output = res
	}
	e.Err = err
	h.Audit.Record(e)
}

func (h *Handler) writeQuery(w http.ResponseWriter, l *logLine, svc *QueryService, action string, res wire.Auditable, err error) {
	if err != nil {
		h.fail(w, l, svc, err)
		return
	}
	var out awsproto.XMLAppender
	if res != nil {
		var ok bool
		if out, ok = res.(awsproto.XMLAppender); !ok {
			h.fail(w, l, svc, fmt.Errorf("%s: %T has no XML encoding", action, res))
			return
		}
	}
	l.status = http.StatusOK
	awsproto.WriteXML(w, svc.Namespace, action, l.info.ID, out)
}

func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request, body []byte, target string, l *logLine) {
	// The operation follows the last dot. CloudTrail's SDKs send the short
	// prefix (CloudTrail_20131101), its documentation the namespaced one
	// (com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101): both work.
	prefix, op := "", target
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		prefix, op = target[:i], target[i+1:]
	}
	l.action = op
	var svc *JSONService
	for _, s := range h.JSON {
		if s.TargetPrefix == prefix || strings.HasSuffix(prefix, "."+s.TargetPrefix) {
			svc = s
		}
	}
	if svc == nil {
		h.failJSON(w, l, awserr.New("UnknownOperationException", http.StatusBadRequest, "The requested operation %s is not recognized.", target))
		return
	}
	sc, err := sigv4.ParseScope(r)
	if err != nil {
		h.failJSON(w, l, err)
		return
	}
	caller, err := h.Auth.Authenticate(r.Context(), r, body, &sc, l.info)
	if err != nil {
		h.failJSON(w, l, err)
		return
	}
	l.principal = caller.ARN
	fn, ok := svc.Operations[op]
	if !ok {
		h.failJSON(w, l, awserr.New("UnknownOperationException", http.StatusBadRequest, "The requested operation %s is not recognized.", target))
		return
	}
	ctx, e := h.begin(r.Context(), r, l, svc.Name, caller)
	res, err := fn(ctx, caller, body)
	h.record(e, res, err)
	if err != nil {
		h.failJSON(w, l, err)
		return
	}
	var out awsproto.JSONAppender
	if res != nil {
		var ok bool
		if out, ok = res.(awsproto.JSONAppender); !ok {
			h.failJSON(w, l, fmt.Errorf("%s: %T has no JSON encoding", op, res))
			return
		}
	}
	l.status = http.StatusOK
	awsproto.WriteJSON(w, l.info.ID, out)
}

func (h *Handler) fail(w http.ResponseWriter, l *logLine, svc *QueryService, err error) {
	ns := awsproto.IAMNamespace
	if svc != nil {
		ns = svc.Namespace
	}
	l.setErr(err)
	awsproto.WriteXMLError(w, ns, l.info.ID, err)
}

func (h *Handler) failJSON(w http.ResponseWriter, l *logLine, err error) {
	l.setErr(err)
	awsproto.WriteJSONError(w, l.info.ID, err)
}

func (h *Handler) queryService(name string) *QueryService {
	for _, s := range h.Query {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// serviceForVersion picks the service whose error namespace an unsigned or
// badly signed request gets, from its Version parameter.
func (h *Handler) serviceForVersion(form url.Values) *QueryService {
	v := form.Get("Version")
	for _, s := range h.Query {
		if s.Version == v {
			return s
		}
	}
	return nil
}

func (h *Handler) serviceForUnsigned(form url.Values, action string) *QueryService {
	s := h.serviceForVersion(form)
	if s != nil && s.Unsigned[action] != nil {
		return s
	}
	return nil
}

// queryForm merges the URL query and a form-encoded body, as AWS accepts
// Query requests both ways.
func queryForm(r *http.Request, body []byte) (url.Values, error) {
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
		ct := r.Header.Get("Content-Type")
		if ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			bf, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, err
			}
			for k, v := range bf {
				form[k] = append(form[k], v...)
			}
		}
	}
	return form, nil
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// logLine collects what the one structured line per request says.
type logLine struct {
	info      *RequestInfo
	service   *QueryService
	action    string
	principal string
	status    int
	code      string
	cause     error
}

func (l *logLine) setErr(err error) {
	if e := awserr.As(err); e != nil {
		l.status, l.code = e.Status, e.Code
		return
	}
	l.status, l.code, l.cause = http.StatusInternalServerError, "InternalFailure", err
}

func (h *Handler) log(r *http.Request, l *logLine) {
	if h.Log == nil {
		return
	}
	svc := ""
	if l.service != nil {
		svc = l.service.Name
	}
	attrs := []slog.Attr{
		slog.String("request_id", l.info.ID),
		slog.String("service", svc),
		slog.String("action", l.action),
		slog.String("principal", l.principal),
		slog.String("source_ip", l.info.SourceIP),
		slog.Int("status", l.status),
		slog.Duration("duration", h.Now().Sub(l.info.Time)),
	}
	level := slog.LevelInfo
	if l.code != "" {
		attrs = append(attrs, slog.String("error", l.code))
	}
	if l.cause != nil && !errors.Is(l.cause, context.Canceled) {
		level = slog.LevelError
		attrs = append(attrs, slog.String("cause", l.cause.Error()))
	}
	h.Log.LogAttrs(r.Context(), level, "request", attrs...)
}
