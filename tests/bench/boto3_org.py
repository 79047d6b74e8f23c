"""A competent script's way across an organization: ListAccounts, AssumeRole
into each account's OrganizationAccountAccessRole, then the AWS example's reads
(ListUsers, and per user ListAccessKeys, ListUserTags, GetAccessKeyLastUsed)
on one pool of THREADS (default 16) over every account's users.

python3 boto3_org.py ENDPOINT_URL [THREADS] > inventory.json
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config

URL = sys.argv[1]
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 16
CONFIG = botocore.config.Config(max_pool_connections=THREADS, retries={"mode": "standard"})
SOURCE = dict(
    aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)


def client(service, **credentials):
    return boto3.client(service, endpoint_url=URL, region_name="us-east-1", config=CONFIG, **(credentials or SOURCE))


def accounts():
    org = client("organizations")
    return [
        a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
        if a["Status"] == "ACTIVE"
    ]


def iam_for(account):
    if account["Id"] == "123456789012":
        return client("iam")
    c = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account['Id']}:role/OrganizationAccountAccessRole",
        RoleSessionName="inventory",
    )["Credentials"]
    return client(
        "iam",
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def users_of(account):
    iam = iam_for(account)
    names = [u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"]]
    return [(account, iam, name) for name in names]


def read_user(job):
    account, iam, name = job
    keys = [k for page in iam.get_paginator("list_access_keys").paginate(UserName=name) for k in page["AccessKeyMetadata"]]
    if not keys:
        return [{"account_id": account["Id"], "user": name, "access_key_id": None}]
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}
    out = []
    for key in keys:
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        out.append({
            "account_id": account["Id"],
            "user": name,
            "access_key_id": key["AccessKeyId"],
            "status": key["Status"],
            "last_used": used["LastUsedDate"].isoformat() if "LastUsedDate" in used else None,
            "description": tags.get(key["AccessKeyId"]),
        })
    return out


with ThreadPoolExecutor(THREADS) as pool:
    jobs = [job for users in pool.map(users_of, accounts()) for job in users]
    records = [r for user in pool.map(read_user, jobs) for r in user]
json.dump(records, sys.stdout)
