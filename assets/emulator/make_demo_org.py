"""Regenerates assets/demo-org.json, the sample organisation behind `iamkeys --demo`.

Deterministic (fixed seed): python3 assets/emulator/make_demo_org.py > assets/demo-org.json
"""

import json
import random

rng = random.Random(20261130)
FIRST = ["alice", "bruno", "chen", "dana", "emeka", "farah", "gita", "hugo", "ines", "jonas",
         "kemal", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sven", "tariq",
         "uma", "viktor", "wen", "ximena", "yusuf", "zoe"]
LAST = ["adams", "berg", "costa", "dubois", "eriksen", "fischer", "garcia", "hall", "ito",
        "jensen", "kowalski", "lopez", "meyer", "novak", "okafor", "petrov", "rossi", "silva"]
PATHS = ["/", "/engineering/", "/engineering/platform/", "/data/", "/finance/", "/support/",
         "/contractors/", "/service-accounts/"]
SERVICES = ["s3", "ec2", "iam", "sts", "lambda", "dynamodb", "sqs", "cloudwatch", "ecr", "kms"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"]
DESCRIPTIONS = ["laptop", "CI pipeline", "backup job", "terraform", "local dev", "grafana"]


def key(user_age):
    created = rng.randint(2, min(user_age, 2200))
    never_used = rng.random() < 0.18
    last_used = None
    if not never_used:
        last_used = {
            "days_ago": rng.choice([0, 1, 2, 5, 12, 40, 95, 200, 400, 900]) % (created + 1),
            "service": rng.choice(SERVICES),
            "region": rng.choice(REGIONS),
        }
    spec = {
        "status": "Inactive" if rng.random() < 0.2 else "Active",
        "created_days_ago": created,
        "last_used": last_used,
    }
    if rng.random() < 0.3:
        spec["description"] = rng.choice(DESCRIPTIONS)
    return spec


def member_users(count, prefix):
    """Users of a member account: service users and people, as in the management one."""
    users = []
    for n in range(count):
        age = rng.randint(30, 1500)
        name = f"{prefix}-{rng.choice(SERVICES)}-{n:02d}" if n % 3 == 0 else f"{rng.choice(FIRST)}.{rng.choice(LAST)}-{n:02d}"
        users.append({
            "name": name,
            "path": "/service-accounts/" if n % 3 == 0 else rng.choice(PATHS),
            "created_days_ago": age,
            "keys": [key(age) for _ in range(rng.choices([0, 1, 2], weights=[1, 6, 3])[0])],
        })
    return users


def organization():
    """Member accounts for `--demo --org`: two to read, one whose role refuses
    iamkeys (as a trust policy or SCP would), one suspended."""
    return {
        "accounts": [
            {"name": "prod", "users": member_users(24, "prod")},
            {"name": "staging", "users": member_users(12, "stg")},
            {"name": "sandbox", "users": member_users(4, "sbx"), "assume": "denied"},
            {"name": "old-project", "suspended": True},
        ]
    }


def main():
    users = [{
        "name": "iamkeys-admin",
        "path": "/ops/",
        "created_days_ago": 1500,
        "keys": [{"status": "Active", "created_days_ago": 30, "description": "iamkeys demo"}],
    }]
    names = set()
    while len(users) < 180:
        name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
        path = rng.choice(PATHS)
        if path == "/service-accounts/":
            name = f"svc-{rng.choice(SERVICES)}-{rng.randint(1, 99)}"
        if name in names:
            continue
        names.add(name)
        age = rng.randint(10, 2500)
        count = rng.choices([0, 1, 2], weights=[2, 6, 2])[0]
        users.append({
            "name": name,
            "path": path,
            "created_days_ago": age,
            "keys": [key(age) for _ in range(count)],
        })
    # The credential report was made 2.5 hours ago, as IAM keeps one for up to four.
    print(json.dumps({
        "signing_user": "iamkeys-admin",
        "report_hours_ago": 2.5,
        "users": users,
        "organization": organization(),
    }, indent=1))


main()
