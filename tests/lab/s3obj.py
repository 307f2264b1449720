#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Change the lab's bucket from a test: s3obj.py put ENDPOINT BUCKET KEY FILE
[CONTENT-ENCODING] or s3obj.py delete ENDPOINT BUCKET KEY."""
import sys

import botocore.session
from botocore.config import Config

op, endpoint, bucket, key = sys.argv[1:5]
c = botocore.session.get_session().create_client(
    "s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="S3RVER",
    aws_secret_access_key="S3RVER", config=Config(s3={"addressing_style": "path"}))
if op == "put":
    try:
        c.create_bucket(Bucket=bucket)
    except Exception as e:  # already there
        if "BucketAlready" not in str(e):
            raise
    extra = {"ContentEncoding": sys.argv[6]} if len(sys.argv) > 6 else {}
    with open(sys.argv[5], "rb") as f:
        c.put_object(Bucket=bucket, Key=key, Body=f.read(), **extra)
elif op == "delete":
    c.delete_object(Bucket=bucket, Key=key)
else:
    sys.exit("unknown operation " + op)
