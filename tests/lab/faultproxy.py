#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A fault-injecting, request-counting HTTP proxy for bucketfs's integration
tests.  It listens on 127.0.0.1 and forwards to an upstream S3 server on
loopback, unless a rule says to misbehave.

usage: faultproxy.py LISTEN_PORT UPSTREAM_PORT

Control (never forwarded):
  POST /__control/rules   JSON list of rules, appended
  POST /__control/clear   drop all rules and zero the counters
  GET  /__control/stats   JSON counters: {"HEAD": n, "GET": n, "LIST": n}

A rule: {"kind": "GET"|"HEAD"|"LIST"|"ANY", "match": "substring of the raw
path and query", "times": N (default: always), "action": ..., params}.
Actions: status (status, code, retry_after), reset, truncate, wrong_range,
full200, delay (seconds), swap_etag, xml (body: a listing to answer with),
huge_xml (megabytes).
"""
import http.client
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = 0
LOCK = threading.Lock()
RULES = []
STATS = {"HEAD": 0, "GET": 0, "LIST": 0}
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


def kind_of(method, path):
    if method == "HEAD":
        return "HEAD"
    if method == "GET" and "list-type=2" in path:
        return "LIST"
    return method


def take_rule(kind, path):
    with LOCK:
        for r in RULES:
            if r.get("kind", "ANY") not in ("ANY", kind):
                continue
            if r.get("match") and r["match"] not in path:
                continue
            if r.get("times", -1) == 0:
                continue
            if r.get("times", -1) > 0:
                r["times"] -= 1
            return dict(r)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_body(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def control(self):
        global RULES
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else b""
        if self.path == "/__control/rules":
            with LOCK:
                RULES.extend(json.loads(data))
            self.send_body(200, b"ok")
        elif self.path == "/__control/clear":
            with LOCK:
                RULES = []
                for k in STATS:
                    STATS[k] = 0
            self.send_body(200, b"ok")
        elif self.path == "/__control/stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            self.send_body(200, body, [("Content-Type", "application/json")])
        else:
            self.send_body(404, b"no such control")

    def upstream(self, headers=None, method=None):
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=120)
        h = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if headers is not None:
            h = headers
        conn.request(method or self.command, self.path, headers=h)
        return conn, conn.getresponse()

    def relay(self, resp, header_fix=None, body_limit=None, close=False):
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP:
                continue
            if header_fix:
                v = header_fix(k, v)
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = 0
        while True:
            want = 1 << 16
            if body_limit is not None:
                want = min(want, body_limit - sent)
                if want <= 0:
                    break
            chunk = resp.read(want)
            if not chunk:
                break
            self.wfile.write(chunk)
            sent += len(chunk)
        if close:
            self.wfile.flush()
            self.close_connection = True

    def handle_any(self):
        if self.path.startswith("/__control/"):
            return self.control()
        kind = kind_of(self.command, self.path)
        with LOCK:
            STATS[kind] = STATS.get(kind, 0) + 1
        rule = take_rule(kind, self.path)
        action = rule["action"] if rule else None
        if action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        if action == "status":
            code = rule.get("code", "")
            body = ("<?xml version=\"1.0\"?><Error><Code>%s</Code><Message>injected"
                    "</Message></Error>" % code).encode() if code else b""
            hdrs = [("Content-Type", "application/xml")]
            if "retry_after" in rule:
                hdrs.append(("Retry-After", str(rule["retry_after"])))
            return self.send_body(rule["status"], body, hdrs)
        if action == "xml":
            return self.send_body(200, rule["body"].encode(), [("Content-Type", "application/xml")])
        if action == "huge_xml":
            item = b"<Contents><Key>k</Key><Size>1</Size></Contents>"
            body = b"<ListBucketResult>" + item * (rule.get("megabytes", 20) * (1 << 20) // len(item))
            return self.send_body(200, body + b"</ListBucketResult>")
        if action == "delay":
            time.sleep(rule.get("seconds", 1))
        if action == "full200":
            h = {k: v for k, v in self.headers.items() if k.lower() not in HOP | {"range"}}
            conn, resp = self.upstream(headers=h)
            try:
                return self.relay(resp)
            finally:
                conn.close()
        conn, resp = self.upstream()
        try:
            if action == "truncate":
                n = int(resp.getheader("Content-Length") or 0)
                return self.relay(resp, body_limit=n // 2, close=True)
            if action == "wrong_range":
                def fix(k, v):
                    if k.lower() == "content-range":
                        a, rest = v[len("bytes "):].split("-", 1)
                        b, total = rest.split("/")
                        return "bytes %d-%d/%s" % (int(a) + 1, int(b) + 1, total)
                    return v
                return self.relay(resp, header_fix=fix)
            if action == "swap_etag":
                return self.relay(resp, header_fix=lambda k, v: '"0000changed0000"'
                                  if k.lower() == "etag" else v)
            return self.relay(resp)
        finally:
            conn.close()

    do_GET = handle_any
    do_HEAD = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any


def main():
    global UPSTREAM
    port, UPSTREAM = int(sys.argv[1]), int(sys.argv[2])
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
