#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent SigV4 signer for bucketfs's unit tests, using botocore.

Reads lines "METHOD<TAB>HOST<TAB>BUCKET<TAB>KEY<TAB>QUERY" on stdin, where QUERY is
"name=value&..." with raw (unencoded) names and values (no '&' or '=' inside
them), and prints one Authorization header value per line.  botocore does its
own key encoding and query canonicalisation, so this checks ours.
Fixed: credentials AKIDEXAMPLE / the AWS example secret, region us-east-1,
time 20130524T000000Z, payload hash of the empty body.
"""
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
auth = S3SigV4Auth(creds, "s3", "us-east-1")

for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    method, host, bucket, key, query = line.split("\t")
    params = {}
    if query:
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            params[name] = value
    path = "/" + bucket + ("/" + percent_encode(key, safe="/~") if key else "")
    req = AWSRequest(method=method, url="http://" + host + path, params=params)
    req.headers["host"] = host
    req.headers["x-amz-date"] = "20130524T000000Z"
    req.headers["x-amz-content-sha256"] = EMPTY
    req.context["timestamp"] = "20130524T000000Z"
    req.context["payload_signing_enabled"] = True
    canonical = auth.canonical_request(req)
    sts = auth.string_to_sign(req, canonical)
    sig = auth.signature(sts, req)
    signed = auth.signed_headers(auth.headers_to_sign(req))
    print("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
          "SignedHeaders=%s,Signature=%s" % (signed, sig))
