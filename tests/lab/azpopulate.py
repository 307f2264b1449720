#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Azure side of the lab: fill a container on Azurite with the Azure test data
set (and a local reference copy), overwrite one blob, or make an account SAS.

usage: azpopulate.py fill ENDPOINT CONTAINER LOCALDIR [--many N]
       azpopulate.py put ENDPOINT CONTAINER NAME TEXT|@FILE
       azpopulate.py sas [--expired] [--permissions rl]

ENDPOINT is the account's base URL (http://127.0.0.1:PORT/devstoreaccount1).
Requests are signed with Shared Key here, in Python, independently of
bucketfs's C implementation; Azurite checks every signature.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import os
import sys
import urllib.parse

ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft).
KEY = base64.b64decode(
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
VERSION = "2021-12-02"

# Every character the issue names, alone and together, plus spaces, unicode,
# a name over 255 bytes (which bucketfs must skip) and markerless depth.
CHARS = "!$&'()*,:;=@%"
AWKWARD = ["awkward/x%sy.txt" % c for c in CHARS] + [
    "awkward/all !$&'()*,:;=@% together.txt",
    "awkward/space name.txt",
    "awkward/dir with space/inner file.txt",
    "awkward/unicode-\u00e9t\u00e9-\u65e5\u672c.txt",
    "awkward/emoji-\U0001F600.txt",
    "awkward/plus+sign.txt",
    "deep/a/b/c/d/e/leaf.txt",
    "tree/x/1.txt",
    "tree/x/2.txt",
    "tree/y/3.txt",
    "tree/4.txt",
    "top.txt",
    "mutable.txt",
]
LONG = "long/" + "n" * 300 + ".txt"
SIZES = [0, 1, 4095, 4096, 4097, (1 << 20) + 1, (9 << 20) + 3]


def content(key, size):
    """Deterministic bytes for a name (the same scheme as populate.py)."""
    out = bytearray()
    seed = key.encode()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(seed + i.to_bytes(8, "little")).digest()
        i += 1
    return bytes(out[:size])


class Azure:
    def __init__(self, endpoint):
        u = urllib.parse.urlsplit(endpoint)
        self.host = u.netloc
        self.base = u.path.rstrip("/")
        self.conn = http.client.HTTPConnection(self.host, timeout=60)

    def request(self, method, container, name=None, query=None, body=b"", headers=None):
        path = self.base + "/" + urllib.parse.quote(container, safe="")
        if name is not None:
            path += "/" + urllib.parse.quote(name, safe="/")
        query = query or {}
        qs = urllib.parse.urlencode(sorted(query.items()), quote_via=urllib.parse.quote)
        hdrs = {
            "x-ms-date": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%a, %d %b %Y %H:%M:%S GMT"),
            "x-ms-version": VERSION,
        }
        hdrs.update(headers or {})
        std = ["content-encoding", "content-language", "content-length", "content-md5",
               "content-type", "date", "if-modified-since", "if-match", "if-none-match",
               "if-unmodified-since", "range"]
        lower = {k.lower(): v for k, v in hdrs.items()}
        if body:
            lower["content-length"] = str(len(body))
        sts = method + "\n" + "".join(lower.get(h, "") + "\n" for h in std)
        sts += "".join("%s:%s\n" % (k, lower[k]) for k in sorted(lower) if k.startswith("x-ms-"))
        sts += "/" + ACCOUNT + path
        for k in sorted(query):
            sts += "\n%s:%s" % (k.lower(), query[k])
        sig = base64.b64encode(hmac.new(KEY, sts.encode(), hashlib.sha256).digest()).decode()
        hdrs["Authorization"] = "SharedKey %s:%s" % (ACCOUNT, sig)
        self.conn.request(method, path + ("?" + qs if qs else ""), body=body, headers=hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status >= 300 and not (resp.status == 409 and method == "PUT" and name is None):
            sys.exit("azpopulate: %s %s: %d %s" % (method, path, resp.status, data[:300]))
        return data

    def put_blob(self, container, name, data):
        self.request("PUT", container, name, body=data, headers={"x-ms-blob-type": "BlockBlob"})


def fill(args):
    az = Azure(args.endpoint)
    az.request("PUT", args.container, query={"restype": "container"})
    blobs = {n: content(n, 100 + len(n)) for n in AWKWARD}
    blobs[LONG] = content(LONG, 10)
    blobs["long/ok.txt"] = content("long/ok.txt", 10)
    for s in SIZES:
        n = "sizes/%d.bin" % s
        blobs[n] = content(n, s)
    for i in range(args.many):
        n = "many/f%05d.txt" % i
        blobs[n] = content(n, 16)
    for n, data in blobs.items():
        az.put_blob(args.container, n, data)
        if len(os.path.basename(n).encode()) > 255:
            continue  # no local file can have this name: the mount skips it too
        p = os.path.join(args.localdir, n)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    print("azpopulate: %d blobs in %s" % (len(blobs), args.container))


def put(args):
    """TEXT, or @FILE for a file's bytes."""
    if args.text.startswith("@"):
        with open(args.text[1:], "rb") as f:
            data = f.read()
    else:
        data = args.text.encode()
    Azure(args.endpoint).put_blob(args.container, args.name, data)


def sas(args):
    """An account SAS (sv=2019-12-12) for the blob service."""
    now = datetime.datetime.now(datetime.timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    if args.expired:
        st, se = now - datetime.timedelta(hours=2), now - datetime.timedelta(hours=1)
    else:
        st, se = now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=4)
    f = {"sv": "2019-12-12", "ss": "b", "srt": "sco", "sp": args.permissions,
         "st": st.strftime(fmt), "se": se.strftime(fmt), "spr": "https,http"}
    sts = "\n".join([ACCOUNT, f["sp"], f["ss"], f["srt"], f["st"], f["se"], "", f["spr"],
                     f["sv"]]) + "\n"
    f["sig"] = base64.b64encode(hmac.new(KEY, sts.encode(), hashlib.sha256).digest()).decode()
    print(urllib.parse.urlencode(f, quote_via=urllib.parse.quote))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fill")
    p.add_argument("endpoint")
    p.add_argument("container")
    p.add_argument("localdir")
    p.add_argument("--many", type=int, default=1100)
    p.set_defaults(func=fill)
    p = sub.add_parser("put")
    p.add_argument("endpoint")
    p.add_argument("container")
    p.add_argument("name")
    p.add_argument("text")
    p.set_defaults(func=put)
    p = sub.add_parser("sas")
    p.add_argument("--expired", action="store_true")
    p.add_argument("--permissions", default="rl")
    p.set_defaults(func=sas)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
