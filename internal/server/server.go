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
	"sync/atomic"
	"time"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/console"
	"github.com/mantle-iam/mantle/internal/metrics"
	"github.com/mantle-iam/mantle/internal/netlimit"
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
	Console  http.Handler // serves /console and /switchrole (console.Serves)
	Log      *slog.Logger
	Now      func() time.Time
	// Audit, when set, receives every call's event once the call is
	// answered.
	Audit AuditRecorder
	// Current, when set, says whether this node may serve (store.Store's
	// Current): a node sharing its store with others that cannot prove it
	// has applied every committed change answers nothing until it can.
	Current func() error

	// Unsigned, when set, limits the unsigned calls (federation) per source
	// address: each is recorded in the trail, so an anonymous client could
	// otherwise grow the store without bound.
	Unsigned *netlimit.PerAddress

	// Metrics, when set, counts every answered request by service, action
	// and outcome, and observes its latency.
	Metrics *metrics.Registry

	refusedLog atomic.Int64 // unix second of the last "refusing" log line
}

// unavailable is AWS's retryable answer to a request the node cannot
// serve now: SDKs retry a 503 ServiceUnavailable with backoff, by which time
// the node has renewed its lease or the load balancer has moved on.
// Common Errors: https://docs.aws.amazon.com/securityhub/1.0/APIReference/CommonErrors.html
func unavailable() error {
	return awserr.New("ServiceUnavailable", http.StatusServiceUnavailable, "The request has failed due to a temporary failure of the server.")
}

// AuditRecorder takes completed audit entries. It may make the call wait
// (for room in its queue, or for the event of a call marked audit.Durable
// to commit); an error means the event was not taken and the call fails.
type AuditRecorder interface {
	Record(ctx context.Context, e *audit.Entry) error
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
	if h.Console != nil && console.Serves(r.URL.Path) {
		// A node that cannot prove it has applied every committed change
		// serves no console page either: the console acts with the same
		// grants as the API.
		if h.Current != nil {
			if err := h.Current(); err != nil {
				http.Error(w, "The request has failed due to a temporary failure of the server.", http.StatusServiceUnavailable)
				return
			}
		}
		// Sign-in attempts (passwords, MFA codes, federation tokens) are
		// unauthenticated and each failure is a CloudTrail event: limited
		// per source address like the unsigned federation calls, so no
		// anonymous client grows the trail without bound.
		if console.Limited(r) && h.Unsigned != nil && !h.Unsigned.Allow(remoteIP(r.RemoteAddr)) {
			http.Error(w, "Rate exceeded", http.StatusTooManyRequests)
			return
		}
		h.Console.ServeHTTP(w, r)
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
	target := r.Header.Get("X-Amz-Target")
	if h.Current != nil {
		if err := h.Current(); err != nil {
			// Once a second at most: every request fails alike.
			if sec := time.Now().Unix(); h.Log != nil && h.refusedLog.Swap(sec) != sec {
				h.Log.Warn("refusing requests until this node is current", "err", err)
			}
			if target != "" {
				h.failJSON(w, l, unavailable())
			} else {
				h.fail(w, l, nil, unavailable())
			}
			return
		}
	}
	if target != "" {
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
			if h.Unsigned != nil && !h.Unsigned.Allow(l.info.SourceIP) {
				h.fail(w, l, svc, throttled())
				return
			}
			ctx, e := h.begin(ctx, r, l, svc.Name, nil)
			res, err := svc.Unsigned[action](ctx, l.info, form)
			res, err = h.record(ctx, e, res, err)
			h.writeQuery(w, l, svc, action, res, err)
			return
		}
		h.fail(w, l, h.serviceForVersion(form), scopeErr)
		return
	}
	svc := h.queryService(sc.Service)
	l.service = svc
	if svc == nil {
		if h.jsonService(sc.Service) != nil {
			// A JSON service's credential on a Query request.
			h.fail(w, l, h.serviceForVersion(form), awserr.InvalidAction("Could not find operation %s for version %s", action, form.Get("Version")))
			return
		}
		h.unserved(w, l, sc.Service, form.Has("Action"))
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
				h.record(ctx, e, nil, err)
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
			res, err = h.record(ctx, e, res, err)
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
	res, err = h.record(ctx, e, res, err)
	h.writeQuery(w, l, svc, action, res, err)
}

// throttled is AWS's answer to a caller over its request rate (STS
// documents it for every action: "Throttling", HTTP 400, "Rate exceeded");
// SDKs retry it with backoff.
func throttled() error {
	return awserr.New("Throttling", http.StatusBadRequest, "Rate exceeded")
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

// record hands the call's entry to the recorder before the call is
// answered: a call whose event must be stored first (audit.Durable) fails
// if it cannot be.
func (h *Handler) record(ctx context.Context, e *audit.Entry, res wire.Auditable, err error) (wire.Auditable, error) {
	if e == nil || e.Unrecorded {
		return res, err
	}
	if res != nil {
		e.Output = res
	}
	if err != nil {
		// An action that answers may still record a refusal of its own
		// (AuthorizeRequest: the client's request, not the call, failed).
		e.Err = err
	}
	if rerr := h.Audit.Record(ctx, e); rerr != nil && err == nil {
		return nil, rerr
	}
	return res, err
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
	if svc != nil {
		l.jsonService = svc.Name
	}
	sc, err := sigv4.ParseScope(r)
	if svc == nil {
		if err == nil && h.queryService(sc.Service) == nil && h.jsonService(sc.Service) == nil {
			h.unserved(w, l, sc.Service, false)
			return
		}
		h.failJSON(w, l, awserr.New("UnknownOperationException", http.StatusBadRequest, "The requested operation %s is not recognized.", target))
		return
	}
	if err != nil {
		h.failJSON(w, l, err)
		return
	}
	if sc.Service != svc.Name {
		// As AWS answers a credential scoped to another service.
		h.failJSON(w, l, awserr.New("SignatureDoesNotMatch", http.StatusForbidden,
			"Credential should be scoped to correct service: '%s'. ", svc.Name))
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
	res, err = h.record(ctx, e, res, err)
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

// unserved answers a request signed for a service mantle does not serve
// (aws s3 ls, aws ec2 describe-instances with AWS_ENDPOINT_URL pointing
// here). It says so, and which services it serves, in an error document
// of that service's protocol so its SDK prints the message:
// "An error occurred (InvalidAction) when calling the ListBuckets
// operation: mantle does not serve 's3' …". InvalidAction (400) is the
// common error of AWS APIs for an operation the endpoint does not have; it
// is not retried, and does not read as a bad key.
func (h *Handler) unserved(w http.ResponseWriter, l *logLine, service string, query bool) {
	var names, vars []string
	for _, s := range h.Query {
		names = append(names, s.Name)
	}
	for _, s := range h.JSON {
		names = append(names, s.Name)
	}
	for _, n := range names {
		vars = append(vars, "AWS_ENDPOINT_URL_"+strings.ToUpper(n))
	}
	err := awserr.New("InvalidAction", http.StatusBadRequest,
		"mantle does not serve '%s'; it serves %s. To use mantle for those only, set %s instead of AWS_ENDPOINT_URL.",
		service, strings.Join(names, ", "), strings.Join(vars, ", "))
	l.setErr(err)
	switch {
	case service == "s3":
		awsproto.WriteRESTXMLError(w, l.info.ID, err)
	case service == "ec2":
		awsproto.WriteEC2Error(w, l.info.ID, err)
	case query:
		awsproto.WriteXMLError(w, awsproto.IAMNamespace, l.info.ID, err)
	default:
		// JSON and REST-JSON services: their SDKs read the code from
		// the X-Amzn-Errortype header or __type, the message from the body.
		awsproto.WriteJSONError(w, l.info.ID, err)
	}
}

func (h *Handler) jsonService(name string) *JSONService {
	for _, s := range h.JSON {
		if s.Name == name {
			return s
		}
	}
	return nil
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
	info        *RequestInfo
	service     *QueryService
	jsonService string
	action      string
	principal   string
	status      int
	code        string
	cause       error
}

func (l *logLine) setErr(err error) {
	if e := awserr.As(err); e != nil {
		l.status, l.code = e.Status, e.Code
		return
	}
	l.status, l.code, l.cause = http.StatusInternalServerError, "InternalFailure", err
}

func (h *Handler) log(r *http.Request, l *logLine) {
	svc := l.jsonService
	if l.service != nil {
		svc = l.service.Name
	}
	d := h.Now().Sub(l.info.Time)
	if h.Metrics != nil {
		h.Metrics.Request(svc, l.action, l.code, d)
	}
	if h.Log == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", l.info.ID),
		slog.String("service", svc),
		slog.String("action", l.action),
		slog.String("principal", l.principal),
		slog.String("source_ip", l.info.SourceIP),
		slog.Int("status", l.status),
		slog.Duration("duration", d),
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
