#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A stand-in for Google's side of GCS, on 127.0.0.1, in front of s3rver:

  POST /token        an OAuth2 token endpoint: checks a service account's
                     RS256 JWT with the key's public half (RFC 7523), or an
                     authorized user's refresh token, and issues tokens
  GET  /computeMetadata/v1/instance/service-accounts/default/token
                     the GCE metadata server (needs Metadata-Flavor: Google)
  anything else      the XML API: needs a bearer token this server issued and
                     that has not expired, then goes to s3rver unsigned; adds
                     x-goog-generation (derived from the ETag) to answers and
                     <Generation> to listings, and answers 404 to a
                     ?generation= that is not the object's current one
  /__control/config  POST {"expires_in": N, "down": bool}
  /__control/stats   GET counters (JSON)

usage: gcsfront.py PORT S3PORT PUBLIC_KEY_PEM CLIENT_EMAIL
"""
import base64
import hashlib
import http.client
import http.server
import json
import re
import sys
import threading
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

PORT, S3PORT = int(sys.argv[1]), int(sys.argv[2])
PUBKEY = serialization.load_pem_public_key(open(sys.argv[3], "rb").read())
EMAIL = sys.argv[4]
TOKEN_URI = "http://127.0.0.1:%d/token" % PORT
# the authorized_user key the tests write
REFRESH = {"client_id": "cid-1", "client_secret": "csecret-1", "refresh_token": "rtok-1"}

lock = threading.Lock()
config = {"expires_in": 3600, "down": False}
tokens = {}  # token -> expiry (monotonic)
stats = {"jwt_grants": 0, "refresh_grants": 0, "metadata_grants": 0, "bad_grants": 0,
         "bearer_ok": 0, "bearer_bad": 0, "gzip_gets": 0, "plain_gets": 0,
         "generation_gets": 0}


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def generation_of(etag):
    return str(int(hashlib.sha256(etag.strip('"').encode()).hexdigest()[:12], 16))


def check_jwt(assertion):
    """Why the assertion is bad, or None."""
    try:
        h64, c64, s64 = assertion.split(".")
        header, claims = json.loads(b64url_decode(h64)), json.loads(b64url_decode(c64))
        PUBKEY.verify(b64url_decode(s64), (h64 + "." + c64).encode(), padding.PKCS1v15(),
                      hashes.SHA256())
    except Exception as e:  # malformed or a bad signature
        return "bad assertion: %r" % e
    now = time.time()
    if header.get("alg") != "RS256":
        return "alg"
    if claims.get("iss") != EMAIL or claims.get("aud") != TOKEN_URI:
        return "iss/aud"
    if "devstorage" not in claims.get("scope", ""):
        return "scope"
    if not (claims["iat"] - 300 <= now <= claims["exp"]) or claims["exp"] - claims["iat"] > 3600:
        return "times"
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if not any(k.lower() == "content-type" for k in (headers or {})):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def issue(self, kind):
        with lock:
            if config["down"]:
                return self.reply(503, b'{"error":"unavailable"}')
            stats[kind] += 1
            tok = "tok-%d-%d" % (stats[kind], len(tokens))
            tokens[tok] = time.monotonic() + config["expires_in"]
            body = {"access_token": tok, "expires_in": config["expires_in"],
                    "token_type": "Bearer"}
        self.reply(200, json.dumps(body).encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/__control/config":
            with lock:
                config.update(json.loads(body))
            return self.reply(200, b"{}")
        if self.path != "/token":
            return self.reply(404, b"{}")
        form = dict(urllib.parse.parse_qsl(body.decode()))
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            why = check_jwt(form.get("assertion", ""))
            if why is None:
                return self.issue("jwt_grants")
        elif grant == "refresh_token":
            why = None if all(form.get(k) == v for k, v in REFRESH.items()) else "refresh"
            if why is None:
                return self.issue("refresh_grants")
        else:
            why = "grant_type"
        with lock:
            stats["bad_grants"] += 1
        self.reply(400, json.dumps({"error": "invalid_grant", "error_description": why}).encode())

    def do_GET(self):
        self.api()

    def do_HEAD(self):
        self.api()

    def api(self):
        if self.path == "/__control/stats":
            with lock:
                return self.reply(200, json.dumps(stats).encode())
        if self.path.startswith("/computeMetadata/"):
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.reply(403, b"{}")
            return self.issue("metadata_grants")
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        with lock:
            ok = tok in tokens and tokens[tok] > time.monotonic()
            stats["bearer_ok" if ok else "bearer_bad"] += 1
        if not ok:
            return self.reply(401, b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                              b"AuthenticationRequired</Code><Message>Invalid Credentials"
                              b"</Message></Error>", ctype="application/xml")
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        want_gen = dict(q).get("generation")
        query = urllib.parse.urlencode([(k, v) for k, v in q if k != "generation"],
                                       quote_via=urllib.parse.quote)
        hdrs = {k.lower(): v for k, v in self.headers.items()
                if k.lower() in ("range", "if-match", "accept-encoding")}
        if self.command == "GET" and u.path.count("/") >= 2:
            with lock:
                stats["gzip_gets" if hdrs.get("accept-encoding") == "gzip" else "plain_gets"] += 1
                stats["generation_gets"] += want_gen is not None
        c = http.client.HTTPConnection("127.0.0.1", S3PORT, timeout=60)
        c.request(self.command, u.path + ("?" + query if query else ""), headers=hdrs)
        r = c.getresponse()
        body = r.read()
        out = {k: v for k, v in r.getheaders()
               if k.lower() in ("content-type", "etag", "last-modified", "content-range",
                                "content-encoding")}
        if self.command == "HEAD":
            out["Content-Length"] = r.getheader("Content-Length", "0")
        etag = r.getheader("ETag")
        if etag:
            gen = generation_of(etag)
            if want_gen is not None and want_gen != gen:
                return self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>",
                                  ctype="application/xml")
            out["x-goog-generation"] = gen
        if body.startswith(b"<?xml") and b"<ListBucketResult" in body[:300]:
            body = re.sub(rb"<ETag>([^<]*)</ETag>",
                          lambda m: m.group(0) + b"<Generation>" +
                          generation_of(m.group(1).decode().replace("&quot;", '"')).encode() +
                          b"</Generation>", body)
        if self.command == "HEAD":
            self.send_response(r.status)
            for k, v in out.items():
                self.send_header(k, v)
            self.end_headers()
            return
        self.reply(r.status, body, out)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
