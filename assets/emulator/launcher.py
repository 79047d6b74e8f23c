"""Local IAM emulator for iamkeys: moto's ThreadedMotoServer on a loopback port.

Usage: python3 launcher.py SEED_JSON_PATH

Seeds users and keys straight into moto's backend (moto stamps everything "now"
otherwise), prints one JSON line describing what it created, then serves until
its standard input closes, so the emulator dies with the process that started it.
Seed dates are given as "days ago", so the demo's ages stay true whenever it runs.
"""

import csv
import io
import json
import logging
import sys
from datetime import datetime, timedelta, timezone

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.iam.models import AccessKeyLastUsed, iam_backends
from moto.server import ThreadedMotoServer

PARTITION = "aws"
REGION = "us-east-1"


def days_ago(now, days):
    return (now - timedelta(days=float(days))).replace(microsecond=0)


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(spec):
    backend = iam_backends[DEFAULT_ACCOUNT_ID][PARTITION]
    # moto compares against naive UTC datetimes internally.
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    created_users = []
    signing = None
    for user_spec in spec.get("users", []):
        user = backend.create_user(REGION, user_spec["name"], user_spec.get("path", "/"))
        user.create_date = days_ago(now, user_spec.get("created_days_ago", 0))
        created_keys = []
        tags = []
        for key_spec in user_spec.get("keys", []):
            key = backend.create_access_key(user.name, status=key_spec.get("status", "Active"))
            key.create_date = days_ago(now, key_spec.get("created_days_ago", 0))
            used = key_spec.get("last_used")
            if used:
                key.last_used = AccessKeyLastUsed(
                    timestamp=days_ago(now, used["days_ago"]),
                    service=used["service"],
                    region=used["region"],
                )
            if key_spec.get("description"):
                tags.append({"Key": key.access_key_id, "Value": key_spec["description"]})
            created_keys.append(
                {
                    "id": key.access_key_id,
                    "status": key.status,
                    "created": iso(key.create_date),
                    "last_used": None
                    if not used
                    else {
                        "date": iso(key.last_used.timestamp),
                        "service": used["service"],
                        "region": used["region"],
                    },
                    "description": key_spec.get("description"),
                }
            )
            if user.name == spec.get("signing_user") and signing is None:
                signing = {
                    "access_key_id": key.access_key_id,
                    "secret_access_key": key.secret_access_key,
                }
        if tags:
            backend.tag_user(user.name, tags)
        created_users.append(
            {
                "name": user.name,
                "path": user.path,
                "created": iso(user.create_date),
                "keys": created_keys,
            }
        )
    return {"account_id": DEFAULT_ACCOUNT_ID, "users": created_users, "signing": signing}


def patch_credential_report():
    """Make moto's credential report read like IAM's.

    moto answers GetCredentialReport with a constant GeneratedTime (2015-02-02)
    and "not_supported" for every key's last-used region and service. IAM gives
    the time the report was generated and fills both columns (N/A for a key
    never used). Without this, a client could not tell which keys the report
    has seen, nor use it for where a key was last used.
    """
    generated = {}
    original_generate = iam_models.IAMBackend.generate_report
    original_report = iam_models.IAMBackend.get_credential_report

    def generate_report(self):
        if not self.credential_report:
            generated[id(self)] = datetime.now(timezone.utc).replace(microsecond=0)
        original_generate(self)

    def get_credential_report(self):
        rows = list(csv.DictReader(io.StringIO(original_report(self))))
        for row in rows:
            user = self.users.get(row["user"])
            keys = user.access_keys if user else []
            for slot in (1, 2):
                key = keys[slot - 1] if len(keys) >= slot else None
                used = key.last_used if key else None
                for column in ("region", "service"):
                    value = getattr(used, column, None) if used else None
                    row[f"access_key_{slot}_last_used_{column}"] = value or "N/A"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()) if rows else ["user"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def get_credential_report_response(self):
        result = {
            "Content": self.backend.get_credential_report(),
            "ReportFormat": "text/csv",
            "GeneratedTime": generated.get(id(self.backend), datetime.now(timezone.utc)),
        }
        return iam_responses.ActionResult(result)

    iam_models.IAMBackend.generate_report = generate_report
    iam_models.IAMBackend.get_credential_report = get_credential_report
    iam_responses.IamResponse.get_credential_report = get_credential_report_response


def main():
    patch_credential_report()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    report = seed(spec)
    report["port"] = port
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    # Serve until the parent closes our stdin (or dies).
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
