#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Fill a bucket on the lab's S3 server with the test data set, and write the
same bytes under a local directory, so tests can compare the mount byte for
byte against it.

usage: populate.py ENDPOINT BUCKET LOCALDIR [--big-gib N] [--many N]

Every object's content is derived from its key (deterministic).  Uses Debian's
python3-botocore, which also encodes keys independently of bucketfs.
"""
import argparse
import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import botocore.session
from botocore.config import Config

AWKWARD = [
    "awkward/space name.txt",
    "awkward/plus+sign.txt",
    "awkward/percent%41.txt",
    "awkward/question?.txt",
    "awkward/hash#.txt",
    "awkward/amp&eq=.txt",
    "awkward/colon:at@caret^.txt",
    "awkward/quote'comma,semi;dollar$.txt",
    "awkward/[brackets](parens)~tilde*star.txt",
    "awkward/unicode-\u00e9t\u00e9-\u65e5\u672c.txt",
    "awkward/emoji-\U0001F600.txt",
    "awkward/dir with space/inner+file.txt",
]


def content(key, size):
    """Deterministic bytes for a key: SHA-256 counter stream."""
    out = bytearray()
    seed = key.encode()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(seed + i.to_bytes(8, "little")).digest()
        i += 1
    return bytes(out[:size])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("bucket")
    ap.add_argument("local")
    ap.add_argument("--big-gib", type=float, default=0)
    ap.add_argument("--many", type=int, default=0)
    args = ap.parse_args()

    s = botocore.session.get_session()
    client = s.create_client(
        "s3", region_name="us-east-1", endpoint_url=args.endpoint,
        aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10},
                      max_pool_connections=32))
    try:
        client.create_bucket(Bucket=args.bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    except Exception as e:  # s3rver answers BucketAlreadyExists too
        if "BucketAlready" not in str(e):
            raise

    objects = {}
    for k in AWKWARD:
        objects[k] = content(k, 100 + len(k))
    objects["top.txt"] = b"hello from bucketfs\n"
    objects["empty.bin"] = b""
    objects["sizes/one.bin"] = content("one", 1)
    objects["sizes/4095.bin"] = content("4095", 4095)
    objects["sizes/4096.bin"] = content("4096", 4096)
    objects["sizes/4097.bin"] = content("4097", 4097)
    objects["sizes/1m+1.bin"] = content("1m+1", (1 << 20) + 1)
    objects["sizes/33m.bin"] = content("33m", 33 * (1 << 20) + 12345)
    objects["marker/"] = b""                       # a directory marker
    objects["marker/inside.txt"] = content("mi", 50)
    objects["emptydir/"] = b""                     # marker of an empty directory
    objects["deep/a/b/c/d/leaf.txt"] = content("leaf", 77)   # no markers at all
    objects["clash"] = content("clash-file", 10)   # a file and a directory: the directory wins
    objects["clash/child.txt"] = content("clash-child", 11)
    objects["tree/x/1.txt"] = content("t1", 1000)
    objects["tree/x/2.txt"] = content("t2", 2000)
    objects["tree/y/3.txt"] = content("t3", 3000)
    objects["tree/4.txt"] = content("t4", 4000)
    objects["mutable.txt"] = content("mutable-v1", 3 * (1 << 20))
    for i in range(args.many):
        objects["many/f%05d" % i] = ("object %d\n" % i).encode()

    def put(item):
        key, body = item
        client.put_object(Bucket=args.bucket, Key=key, Body=body)
        if key.endswith("/"):
            os.makedirs(os.path.join(args.local, key), exist_ok=True)
        elif key != "clash":
            path = os.path.join(args.local, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)

    with ThreadPoolExecutor(16) as ex:
        list(ex.map(put, objects.items()))

    if args.big_gib > 0:
        size = int(args.big_gib * (1 << 30))
        path = os.path.join(args.local, "big", "big.bin")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path) or os.path.getsize(path) != size:
            # AES-CTR keystream: fast, deterministic, incompressible.
            subprocess.run(
                "openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f "
                "-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null "
                "| head -c %d > '%s'" % (size, path), shell=True, check=True)
        with open(path, "rb") as f:
            client.put_object(Bucket=args.bucket, Key="big/big.bin", Body=f)
    print("populated %d objects" % (len(objects) + (1 if args.big_gib > 0 else 0)))


if __name__ == "__main__":
    sys.exit(main())
