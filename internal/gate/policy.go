package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mantle-iam/mantle/policy"
)

// PolicyFile is an API's resource policy kept in a file, validated as IAM
// validates resource-based policies, and reloaded when the file changes.
// As in API Gateway, a Resource may be written "execute-api:/STAGE/METHOD/PATH"
// and stands for the API's own ARN prefix.
type PolicyFile struct {
	Path string
	// prefix replaces "execute-api:/": arn:aws:execute-api:REGION:ACCOUNT:API_ID/
	prefix string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	doc     atomic.Pointer[string]
}

// LoadPolicyFile reads and validates the API's resource policy.
func LoadPolicyFile(path, region, account, apiID string) (*PolicyFile, error) {
	f := &PolicyFile{Path: path, prefix: "arn:aws:execute-api:" + region + ":" + account + ":" + apiID + "/"}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Document is the policy in force, expanded.
func (f *PolicyFile) Document() string {
	if d := f.doc.Load(); d != nil {
		return *d
	}
	return ""
}

// Reload rereads the file if it changed since the last read. A file that
// does not validate leaves the policy in force unchanged.
func (f *PolicyFile) Reload() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := os.Stat(f.Path)
	if err != nil {
		return false, err
	}
	if f.doc.Load() != nil && fi.ModTime().Equal(f.modTime) && fi.Size() == f.size {
		return false, nil
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return false, err
	}
	doc, err := ExpandPolicy(b, f.prefix)
	if err != nil {
		return false, fmt.Errorf("%s: %w", f.Path, err)
	}
	f.modTime, f.size = fi.ModTime(), fi.Size()
	f.doc.Store(&doc)
	return true, nil
}

// ExpandPolicy validates a resource policy and writes API Gateway's
// "execute-api:/…" resources as full ARNs under prefix.
func ExpandPolicy(b []byte, prefix string) (string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		// The engine's parser says what IAM would.
		if _, perr := policy.Parse(string(b), policy.KindResource); perr != nil {
			return "", perr
		}
		return "", err
	}
	stmts, ok := doc["Statement"].([]any)
	if !ok {
		stmts = []any{doc["Statement"]}
	}
	for _, s := range stmts {
		st, ok := s.(map[string]any)
		if !ok {
			continue
		}
		for _, key := range []string{"Resource", "NotResource"} {
			if v, ok := st[key]; ok {
				st[key] = expandResources(v, prefix)
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	if _, err := policy.Parse(string(out), policy.KindResource); err != nil {
		return "", err
	}
	return string(out), nil
}

func expandResources(v any, prefix string) any {
	switch r := v.(type) {
	case string:
		if rest, ok := strings.CutPrefix(r, "execute-api:/"); ok {
			return prefix + rest
		}
		return r
	case []any:
		for i := range r {
			r[i] = expandResources(r[i], prefix)
		}
	}
	return v
}
