package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/netlimit"
)

// The admin socket is how the mantle command talks to the mantle serving a
// data directory (backup, key rotation, apply, reset): a Unix socket in
// the data directory, mode 0600 in a 0700 directory. Whoever may connect
// to it may read the database and the master key beside it already, so the
// file system's permissions are its authentication, and it is never
// reachable from the network. (An HTTP endpoint on the API would need its
// own credentials and would put a database dump one leaked key away.)

// AdminSocket is the admin socket of a data directory.
func AdminSocket(dataDir string) string { return filepath.Join(dataDir, "admin.sock") }

// maxSocketPath is the longest Unix socket path every platform accepts
// (sun_path is 104 bytes on the BSDs and macOS, 108 on Linux).
const maxSocketPath = 103

// Admin paths.
const (
	adminBackup       = "/v1/backup"
	adminRotateToken  = "/v1/keys/rotate/token"
	adminRotateMaster = "/v1/keys/rotate/master"
	adminApply        = "/v1/apply"
	adminReset        = "/v1/reset"
)

// serveAdmin listens on the admin socket until ctx is done; the returned
// function waits for it to stop. A data directory whose path is too long
// for a socket gets a warning and no socket.
func (s *Server) serveAdmin(ctx context.Context) (wait func()) {
	path := AdminSocket(s.cfg.DataDir)
	if abs, err := filepath.Abs(path); err != nil || len(abs) > maxSocketPath {
		s.cfg.Log.Warn("no admin socket: the data directory's path is too long for a Unix socket; mantle backup, keys and apply need it", "path", path)
		return func() {}
	}
	// A socket left by a mantle that died: the data directory is this
	// process's (the store's lock says so for SQLite), so it is stale.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.cfg.Log.Warn("no admin socket", "path", path, "error", err)
		return func() {}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		s.cfg.Log.Warn("no admin socket", "path", path, "error", err)
		return func() {}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		s.cfg.Log.Warn("no admin socket", "path", path, "error", err)
		return func() {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+adminBackup, s.adminBackup)
	mux.HandleFunc("POST "+adminRotateToken, s.adminRotateToken)
	mux.HandleFunc("POST "+adminRotateMaster, s.adminRotateMaster)
	mux.HandleFunc("POST "+adminApply, s.adminApply)
	mux.HandleFunc("POST "+adminReset, s.serveReset)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A backup of a large trail streams for a while: long write
		// timeout, few connections.
		cfg := netlimit.Config{Name: "admin", Log: s.cfg.Log, MaxConns: 8, WriteTimeout: time.Hour, ReadTimeout: time.Minute}
		if err := netlimit.Serve(ctx, l, mux, cfg); err != nil {
			s.cfg.Log.Error("admin socket", "error", err)
		}
		os.Remove(path)
	}()
	return func() { <-done }
}

// adminError answers an admin request that failed, in one line the
// command prints as it is.
func adminError(w http.ResponseWriter, status int, err error) {
	http.Error(w, err.Error(), status)
}

func adminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// operator is who an admin command acts as: the root user of the data
// directory's account, since the command's user can read everything that
// account's root can.
func (s *Server) operator() *auth.Caller {
	return &auth.Caller{
		Kind: auth.KindRoot, AccountID: s.AccountID, ID: s.AccountID, UserID: s.AccountID,
		ARN: "arn:aws:iam::" + s.AccountID + ":root", SourceIP: "127.0.0.1", UserAgent: "mantle-admin",
		RequestTime: s.cfg.Now(),
	}
}

// adminEvent starts the CloudTrail event of an admin action (source
// mantle.amazonaws.com) acting as the operator: staged by the changes made
// with the returned context, completed by finish.
func (s *Server) adminEvent(ctx context.Context, action string, params adminParams) (context.Context, func(out adminParams, err error)) {
	now := s.cfg.Now()
	c := s.operator()
	e := &audit.Entry{
		EventID: audit.NewEventID(now), RequestID: awsproto.NewRequestID(), Time: now,
		Service: "mantle", Action: action, Caller: c, SourceIP: c.SourceIP, UserAgent: c.UserAgent,
		Region: "us-east-1",
	}
	if params != nil {
		e.Input = params
	}
	ctx = audit.With(ctx, e)
	return ctx, func(out adminParams, err error) {
		if out != nil {
			e.Output = out
		}
		e.Err = err
		audit.Durable(ctx)
		if rerr := s.Audit.Record(ctx, e); rerr != nil {
			s.cfg.Log.Error("admin event not recorded", "action", action, "error", rerr)
		}
	}
}

// adminParams are an admin event's request parameters or response
// elements.
type adminParams map[string]string

func (p adminParams) AppendAudit(b []byte) ([]byte, bool) {
	j, err := json.Marshal(map[string]string(p))
	if err != nil {
		return b, false
	}
	return append(b, j...), true
}

func (p adminParams) StringField(name string) string { return p[name] }

func (p adminParams) StructField(string) wire.Fields { return nil }

func (s *Server) adminBackup(w http.ResponseWriter, r *http.Request) {
	b, ok := s.backend.(interface {
		Backup(ctx context.Context, path string) error
	})
	if !ok {
		adminError(w, http.StatusNotImplemented, errors.New("this mantle's store is PostgreSQL: back up the database with pg_dump (see docs/operations.md)"))
		return
	}
	tmp := filepath.Join(s.cfg.DataDir, ".backup-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".db")
	defer os.Remove(tmp)
	if err := b.Backup(r.Context(), tmp); err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	f, err := os.Open(tmp)
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.sqlite3")
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	if _, err := io.Copy(w, f); err != nil {
		s.cfg.Log.Warn("backup not sent whole", "error", err)
	}
}

func (s *Server) adminRotateToken(w http.ResponseWriter, r *http.Request) {
	ctx, finish := s.adminEvent(r.Context(), "RotateSessionTokenKey", nil)
	rot, err := s.rotateTokenKey(ctx)
	if err != nil {
		finish(nil, err)
		adminError(w, http.StatusInternalServerError, fmt.Errorf("rotate the session-token key: %w", err))
		return
	}
	out := adminParams{"activeKeyId": strconv.FormatUint(uint64(rot.Active), 10), "retiredKeyId": strconv.FormatUint(uint64(rot.Retired), 10)}
	finish(out, nil)
	adminJSON(w, rot)
}

func (s *Server) adminRotateMaster(w http.ResponseWriter, r *http.Request) {
	resealOnly := r.URL.Query().Get("reseal-only") == "true"
	ctx, finish := s.adminEvent(r.Context(), "RotateMasterKey", adminParams{"resealOnly": strconv.FormatBool(resealOnly)})
	rot, err := s.rotateMasterKey(ctx, resealOnly)
	if err != nil {
		finish(nil, err)
		status := http.StatusInternalServerError
		if errors.Is(err, errOtherNodes) {
			status = http.StatusConflict
		}
		adminError(w, status, fmt.Errorf("rotate the master key: %w", err))
		return
	}
	finish(adminParams{"masterKeyId": rot.KeyID, "resealed": strconv.Itoa(rot.Resealed)}, nil)
	adminJSON(w, rot)
}

func (s *Server) adminApply(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxStateSize+1))
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	st, err := ParseState(b)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	changes, err := s.Apply(r.Context(), st)
	if err != nil {
		status := http.StatusInternalServerError
		if awserr.As(err) != nil {
			status = http.StatusBadRequest
		}
		msg := err.Error()
		if len(changes) > 0 {
			msg += " (applied before the error: " + strings.Join(changes, "; ") + ")"
		}
		adminError(w, status, errors.New(msg))
		return
	}
	adminJSON(w, map[string][]string{"changes": changes})
}
