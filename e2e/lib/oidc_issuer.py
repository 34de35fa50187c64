"""A minimal OpenID Connect issuer for the e2e clients' web identity checks.

Discovery and JWKS over HTTPS (a self-signed certificate for localhost, which
mantle trusts through the provider's thumbprint) and RS256 tokens signed with
openssl: what a CI system or Kubernetes does, in a few lines.

    oidc_issuer.py serve DIR        # keys in DIR; writes DIR/issuer and
                                    # DIR/thumbprint, then serves until killed
    oidc_issuer.py token DIR SUB    # prints a token for SUB (aud sts.amazonaws.com)

From Python: `Issuer(dir).start()` serves in a thread; `.token(sub)`.
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import time


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout


class Issuer:
    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        os.makedirs(os.path.join(self.dir, ".well-known"), exist_ok=True)
        self.url = None

    def _path(self, name):
        return os.path.join(self.dir, name)

    def start(self):
        """Create the keys and serve in a daemon thread; return the issuer URL."""
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self._path("tls.key"),
                 "-out", self._path("tls.crt"), "-days", "1", "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost")
        _openssl("genrsa", "-out", self._path("signing.key"), "2048")
        modulus = _openssl("rsa", "-in", self._path("signing.key"), "-noout", "-modulus").decode().strip().split("=", 1)[1]
        fingerprint = _openssl("x509", "-in", self._path("tls.crt"), "-noout", "-fingerprint", "-sha1").decode()
        thumbprint = fingerprint.strip().split("=", 1)[1].replace(":", "").lower()

        directory = self.dir

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=directory, **kw)

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self._path("tls.crt"), self._path("tls.key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        self.url = "https://localhost:%d" % srv.server_address[1]
        with open(self._path(".well-known/openid-configuration"), "w") as f:
            json.dump({"issuer": self.url, "jwks_uri": self.url + "/jwks.json"}, f)
        with open(self._path("jwks.json"), "w") as f:
            json.dump({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "e2e",
                                 "n": _b64url(bytes.fromhex(modulus)), "e": "AQAB"}]}, f)
        with open(self._path("thumbprint"), "w") as f:
            f.write(thumbprint)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        # Written last: its presence means the issuer is up.
        with open(self._path("issuer"), "w") as f:
            f.write(self.url)
        return self.url

    @property
    def thumbprint(self):
        with open(self._path("thumbprint")) as f:
            return f.read().strip()

    def token(self, sub, lifetime=3600):
        url = self.url
        if url is None:
            with open(self._path("issuer")) as f:
                url = f.read().strip()
        now = int(time.time())
        header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "e2e"}).encode())
        payload = _b64url(json.dumps({"iss": url, "sub": sub, "aud": "sts.amazonaws.com",
                                      "iat": now, "exp": now + lifetime}).encode())
        signing_input = (header + "." + payload).encode()
        sig = _openssl("dgst", "-sha256", "-sign", self._path("signing.key"), data=signing_input)
        return header + "." + payload + "." + _b64url(sig)


def main(argv):
    if len(argv) >= 2 and argv[0] == "serve":
        Issuer(argv[1]).start()
        while True:
            time.sleep(3600)
    if len(argv) == 3 and argv[0] == "token":
        print(Issuer(argv[1]).token(argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
