"""A competent script's way: the AWS example's reads on 16 threads.

python3 boto3_threaded.py ENDPOINT_URL [THREADS] > inventory.json

ListUsers (every page), then on a pool of THREADS (default 16) for each user
ListAccessKeys, ListUserTags for users with keys, and GetAccessKeyLastUsed for
each key. Prints the same records as boto3_sequential.py.
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config

THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 16
client = boto3.client(
    "iam",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    config=botocore.config.Config(max_pool_connections=THREADS, retries={"mode": "standard"}),
)


def read_user(name):
    keys = []
    for key_page in client.get_paginator("list_access_keys").paginate(UserName=name):
        keys.extend(key_page["AccessKeyMetadata"])
    if not keys:
        return [{"user": name, "access_key_id": None}]
    tags = {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]}
    out = []
    for key in keys:
        used = client.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        out.append(
            {
                "user": name,
                "access_key_id": key["AccessKeyId"],
                "status": key["Status"],
                "created": key["CreateDate"].isoformat(),
                "last_used": used["LastUsedDate"].isoformat() if "LastUsedDate" in used else None,
                "last_used_service": used.get("ServiceName"),
                "last_used_region": used.get("Region"),
                "description": tags.get(key["AccessKeyId"]),
            }
        )
    return out


names = [
    user["UserName"]
    for page in client.get_paginator("list_users").paginate()
    for user in page["Users"]
]
with ThreadPoolExecutor(THREADS) as pool:
    records = [record for user in pool.map(read_user, names) for record in user]
json.dump(records, sys.stdout)
