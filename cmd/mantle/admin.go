package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/mantle-iam/mantle/internal/server"
)

// adminCall makes one request to the admin socket of the mantle serving
// dataDir and returns the response of a call that succeeded; a failed
// call's error is mantle's one-line answer.
func adminCall(ctx context.Context, dataDir, path, contentType string, body io.Reader) (*http.Response, error) {
	sock := server.AdminSocket(dataDir)
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mantle"+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("no mantle is serving --data %s (no admin socket %s): start it, or give the data directory it serves", dataDir, sock)
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, errors.New(strings.TrimSpace(string(msg)))
	}
	return resp, nil
}
