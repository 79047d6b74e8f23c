"""The baseline: the AWS example's way of reading every user's keys, one call at a time.

python3 boto3_sequential.py ENDPOINT_URL > inventory.json

ListUsers (every page), then for each user ListAccessKeys and, for users with
keys, ListUserTags (the console's key descriptions), then GetAccessKeyLastUsed
for each key: the same reads `iamkeys list --source live` makes, sequentially.
Prints the records as JSON (one per key, one per user without keys).
"""

import json
import sys

import boto3

client = boto3.client(
    "iam",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)

records = []
for page in client.get_paginator("list_users").paginate():
    for user in page["Users"]:
        name = user["UserName"]
        keys = []
        for key_page in client.get_paginator("list_access_keys").paginate(UserName=name):
            keys.extend(key_page["AccessKeyMetadata"])
        if not keys:
            records.append({"user": name, "access_key_id": None})
            continue
        tags = {t["Key"]: t["Value"] for t in client.list_user_tags(UserName=name)["Tags"]}
        for key in keys:
            used = client.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
            records.append(
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
json.dump(records, sys.stdout)
