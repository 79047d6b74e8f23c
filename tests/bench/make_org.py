"""A seed for the benchmarks: N users, about 1.1 keys each, for assets/emulator/launcher.py.

python3 tests/bench/make_org.py 1000 > /tmp/org-1000.json
Deterministic. Key counts: 20% none, 50% one, 30% two; 15% of keys never used.
"""

import json
import random
import sys

SERVICES = ["s3", "ec2", "iam", "sts", "lambda", "dynamodb", "sqs", "kms"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
PATHS = ["/", "/engineering/", "/data/", "/finance/", "/support/", "/service-accounts/"]


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = random.Random(count)
    users = []
    for i in range(count):
        keys = []
        for k in range(rng.choices([0, 1, 2], weights=[20, 50, 30])[0]):
            created = rng.randint(1, 2000)
            used = None
            if rng.random() > 0.15:
                used = {
                    "days_ago": rng.randint(0, created),
                    "service": rng.choice(SERVICES),
                    "region": rng.choice(REGIONS),
                }
            keys.append({
                "status": "Active" if k == 0 or rng.random() < 0.5 else "Inactive",
                "created_days_ago": created,
                "last_used": used,
                "description": "bench key" if rng.random() < 0.2 else None,
            })
        users.append({
            "name": f"user{i:05d}",
            "path": rng.choice(PATHS),
            "created_days_ago": rng.randint(2000, 3000),
            "keys": keys,
        })
    json.dump({"users": users}, sys.stdout)


main()
