"""Presign S3 GET URLs with Debian's botocore at a fixed time, one JSON case per stdin line.

Used by sigv4_test.cc to compare kakitome's SigV4 presigner with botocore byte for byte.
Each line: {"endpoint", "bucket", "key", "region", "path_style", "access_key", "secret_key",
"session_token", "epoch", "expires"}; prints one URL per line.
"""
import datetime
import json
import sys
from unittest import mock

import botocore.session
from botocore.config import Config

session = botocore.session.get_session()
for line in sys.stdin:
    case = json.loads(line)
    client = session.create_client(
        "s3", region_name=case["region"], endpoint_url=case["endpoint"],
        aws_access_key_id=case["access_key"], aws_secret_access_key=case["secret_key"],
        aws_session_token=case.get("session_token") or None,
        config=Config(signature_version="s3v4",
                      s3={"addressing_style": "path" if case["path_style"] else "virtual"}))
    fixed = datetime.datetime.fromtimestamp(case["epoch"], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.datetime") as clock:
        clock.datetime.utcnow.return_value = fixed
        print(client.generate_presigned_url("get_object", Params={"Bucket": case["bucket"], "Key": case["key"]},
                                            ExpiresIn=case["expires"]))
