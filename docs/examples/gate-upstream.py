#!/usr/bin/env python3
"""A trivial upstream for docs/gate.md: answers every request with what it
received (method, path, the X-Mantle-* identity headers mantle gate set, the
body) as JSON.

    python3 docs/examples/gate-upstream.py PORT
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        out = json.dumps({
            "method": self.command,
            "path": self.path,
            "identity": {k: v for k, v in self.headers.items() if k.lower().startswith("x-mantle-")},
            "authorization": self.headers.get("Authorization"),
            "body": body,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
