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
import re
import sys
import warnings
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.iam.models import AccessKeyLastUsed, iam_backends
from moto.core.exceptions import InvalidClientTokenIdError
from moto.moto_server import threaded_moto_server as moto_server
from moto.server import ThreadedMotoServer
from moto.sts import responses as sts_responses

PARTITION = "aws"
REGION = "us-east-1"


def days_ago(now, days):
    return (now - timedelta(days=float(days))).replace(microsecond=0)


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(spec):
    users, signing = seed_users(DEFAULT_ACCOUNT_ID, spec.get("users", []), spec.get("signing_user"))
    return {"account_id": DEFAULT_ACCOUNT_ID, "users": users, "signing": signing}


def seed_users(account_id, user_specs, signing_user):
    """Creates users and keys in one account's IAM; returns them and the signing key."""
    backend = iam_backends[account_id][PARTITION]
    # moto compares against naive UTC datetimes internally.
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    created_users = []
    signing = None
    for user_spec in user_specs:
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
            if user.name == signing_user and signing is None:
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
    return created_users, signing


def seed_organization(spec):
    """An AWS Organization whose management account is moto's default one.

    Seed `organization.accounts`: each a member account made with
    CreateAccount (moto creates its OrganizationAccountAccessRole, as AWS
    does), with users of its own. `suspended` closes it; `assume` is `allow`
    (the default), `denied` (AssumeRole is refused, as a trust policy or an
    SCP would) or `no-role` (the role is deleted: AWS then refuses with
    AccessDenied too). Returns the accounts as created, management first.
    """
    org_spec = spec.get("organization")
    if not org_spec:
        return None
    from moto.organizations.models import organizations_backends

    orgs = organizations_backends[DEFAULT_ACCOUNT_ID][PARTITION]
    orgs.create_organization(REGION, FeatureSet="ALL")
    for account in orgs.accounts:
        if account.id == DEFAULT_ACCOUNT_ID:
            account.name = "management"
    accounts = [{"id": DEFAULT_ACCOUNT_ID, "name": "management", "status": "ACTIVE"}]
    units = {}
    for number, account_spec in enumerate(org_spec.get("accounts", [])):
        status = orgs.create_account(
            AccountName=account_spec["name"], Email=f"account-{number}@example.com"
        )["CreateAccountStatus"]
        account_id = status["AccountId"]
        MEMBERS.add(account_id)
        users, _ = seed_users(account_id, account_spec.get("users", []), None)
        assume = account_spec.get("assume", "allow")
        if assume == "no-role":
            iam_backends[account_id][PARTITION].delete_role("OrganizationAccountAccessRole")
        elif assume == "denied":
            ASSUME_DENIED.add(account_id)
        ou_id = None
        if account_spec.get("ou"):
            ou_id = unit_at(orgs, account_spec["ou"], units)
            orgs.move_account(
                AccountId=account_id, SourceParentId=orgs.org.root_id, DestinationParentId=ou_id
            )
        if account_spec.get("suspended"):
            orgs.close_account(AccountId=account_id)
        accounts.append(
            {
                "id": account_id,
                "name": account_spec["name"],
                "status": "SUSPENDED" if account_spec.get("suspended") else "ACTIVE",
                "users": users,
                "ou_id": ou_id,
            }
        )
    return accounts


def unit_at(orgs, path, units):
    """The id of organizational unit `path` ("workloads/prod"), made under the root
    (and its parents) the first time it is named."""
    parent = orgs.org.root_id
    walked = []
    for name in path.strip("/").split("/"):
        walked.append(name)
        key = "/".join(walked)
        if key not in units:
            made = orgs.create_organizational_unit(ParentId=parent, Name=name)
            units[key] = made["OrganizationalUnit"]["Id"]
        parent = units[key]
    return parent


# Accounts whose roles refuse AssumeRole (seed `assume = "denied"`).
ASSUME_DENIED = set()
# The member accounts seeded, whose roles must exist to be assumed.
MEMBERS = set()


def patch_sts_assume_role():
    """AssumeRole as AWS answers it: AccessDenied when the role does not exist,
    its account refuses (seeded) or is suspended. moto hands out credentials
    for any role ARN, in any account."""
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    original = STSBackend.assume_role

    def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
        parts = role_arn.split(":")
        account_id = parts[4] if len(parts) > 5 else ""
        role_name = parts[5].split("/")[-1] if len(parts) > 5 else ""
        roles = iam_backends[account_id][PARTITION].roles.values() if account_id.isdigit() else []
        # Only the seeded members are checked: outside them moto's leniency stays.
        exists = account_id not in MEMBERS or any(role.name == role_name for role in roles)
        if not exists or account_id in ASSUME_DENIED or account_suspended(account_id):
            raise STSClientError(
                "AccessDenied",
                f"User: arn:aws:iam::{self.account_id}:user/iamkeys is not authorized to "
                f"perform: sts:AssumeRole on resource: {role_arn}",
            )
        return original(self, region_name, role_session_name, role_arn, *args, **kwargs)

    STSBackend.assume_role = assume_role


def account_of_key_id(key_id):
    """The account AWS encodes in an access key id (the bits after its 4-letter
    prefix), which is what STS GetAccessKeyInfo answers for any key."""
    import base64

    try:
        raw = base64.b32decode(key_id[4:] + "=" * (-len(key_id[4:]) % 8))
    except ValueError:
        return None
    value = int.from_bytes(raw[:6], "big")
    return f"{(value & 0x7FFFFFFFFF80) >> 7:012d}"


def patch_sts_access_key_info():
    """GetAccessKeyInfo as AWS answers it: the key's account, found in the key
    id itself for keys moto does not hold (moto answers with the caller's)."""
    from moto.sts.models import STSBackend

    original = STSBackend.get_access_key_info

    def get_access_key_info(self, access_key_id):
        for account_id in list(iam_backends.keys()):
            backend = iam_backends[account_id][PARTITION]
            if backend.get_user_from_access_key_id(access_key_id):
                return original(self, access_key_id)
        account = account_of_key_id(access_key_id)
        if account is None:
            return original(self, access_key_id)
        return {"Account": account}

    STSBackend.get_access_key_info = get_access_key_info


def account_suspended(account_id):
    from moto.organizations.models import organizations_backends

    orgs = organizations_backends[DEFAULT_ACCOUNT_ID][PARTITION]
    if orgs.org is None:
        return False
    return any(a.id == account_id and a.status == "SUSPENDED" for a in orgs.accounts)


REPORT_COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
).split(",")
# IAM makes a new report at most this often and hands out the last one meanwhile.
REPORT_LIFETIME = timedelta(hours=4)
# Services IAM calls global: their last-used region is N/A in the report.
GLOBAL_SERVICES = {"iam", "sts"}


def report_time(moment):
    return moment.replace(tzinfo=timezone.utc).isoformat()


def build_report(backend, at, root_key):
    """The credential report as IAM would have written it at `at` (naive UTC).

    Users and keys made after `at` are not in it; a use after `at` is not
    either (the report shows the key as never used, as IAM's would have).
    The first row is the root user's.
    """
    rows = []
    root = dict.fromkeys(REPORT_COLUMNS, "N/A")
    root.update(
        user="<root_account>",
        arn=f"arn:aws:iam::{backend.account_id}:root",
        user_creation_time=report_time(at - timedelta(days=3000)),
        password_enabled="not_supported",
        password_last_changed="not_supported",
        password_next_rotation="not_supported",
        mfa_active="true",
        access_key_1_active="true" if root_key else "false",
        access_key_2_active="false",
        cert_1_active="false",
        cert_2_active="false",
    )
    if root_key:
        root["access_key_1_last_rotated"] = report_time(at - timedelta(days=2000))
    rows.append(root)
    for user in backend.users.values():
        if user.create_date > at:
            continue
        row = dict.fromkeys(REPORT_COLUMNS, "N/A")
        row.update(
            user=user.name,
            arn=user.arn,
            user_creation_time=report_time(user.create_date),
            password_enabled="false",
            mfa_active="false",
            access_key_1_active="false",
            access_key_2_active="false",
            cert_1_active="false",
            cert_2_active="false",
        )
        keys = sorted(
            (k for k in user.access_keys if k.create_date <= at), key=lambda k: k.create_date
        )
        for slot, key in enumerate(keys[:2], start=1):
            prefix = f"access_key_{slot}_"
            row[prefix + "active"] = "true" if key.status == "Active" else "false"
            row[prefix + "last_rotated"] = report_time(key.create_date)
            used = key.last_used
            if used and used.timestamp <= at:
                row[prefix + "last_used_date"] = report_time(used.timestamp)
                row[prefix + "last_used_service"] = used.service
                row[prefix + "last_used_region"] = (
                    "N/A" if used.service in GLOBAL_SERVICES else used.region
                )
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def patch_credential_report(spec):
    """Make moto's credential report behave like IAM's.

    moto regenerates the report on every request, stamps a fixed GeneratedTime
    (2015-02-02), writes "not_supported" for last-used region and service and
    has no root row. IAM keeps a snapshot for four hours and hands it out with
    its true time, so uses since are missing from it; it fills region and
    service (N/A for a key never used, and region N/A for global services) and
    starts with the `<root_account>` row. Seed `report_hours_ago` makes such a
    snapshot at seeding time, as of that many hours ago.
    """
    snapshots = {}
    root_key = bool(spec.get("root_key"))

    def generate_report(self):
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        snapshot = snapshots.get(id(self))
        if snapshot is None or now - snapshot[0] >= REPORT_LIFETIME:
            snapshots[id(self)] = (now, build_report(self, now, root_key))
        self.credential_report = True

    def snapshot_at(backend, at):
        snapshots[id(backend)] = (at, build_report(backend, at, root_key))
        backend.credential_report = True

    def get_credential_report(self):
        snapshot = snapshots.get(id(self))
        if snapshot is None:
            raise iam_models.ReportNotPresentException("Credential report not present")
        return snapshot[1]

    def get_credential_report_response(self):
        content = self.backend.get_credential_report()
        result = {
            "Content": content,
            "ReportFormat": "text/csv",
            "GeneratedTime": snapshots[id(self.backend)][0].replace(tzinfo=timezone.utc),
        }
        return iam_responses.ActionResult(result)

    iam_models.IAMBackend.generate_report = generate_report
    iam_models.IAMBackend.get_credential_report = get_credential_report
    iam_responses.IamResponse.get_credential_report = get_credential_report_response
    return snapshot_at


def patch_sts_key_checks(spec):
    """Make STS GetCallerIdentity refuse keys the way AWS does.

    moto answers for any key. AWS answers InvalidClientTokenId for an inactive
    key, a deleted key, and a new key for its first seconds while it
    propagates (seed `new_key_propagation_secs`). Keys that IAM never had
    (the tests' outsider key) still act as moto's default identity.
    """
    delay = timedelta(seconds=float(spec.get("new_key_propagation_secs") or 0))
    deleted = set()
    original_delete = iam_models.IAMBackend.delete_access_key_by_name

    def delete_access_key_by_name(self, name):
        deleted.add(name)
        return original_delete(self, name)

    original_identity = sts_responses.TokenResponse.get_caller_identity

    def get_caller_identity(self):
        key_id = self.get_access_key()
        if key_id in deleted:
            raise InvalidClientTokenIdError()
        backend = iam_backends[DEFAULT_ACCOUNT_ID][PARTITION]
        key = backend.access_keys.get(key_id)
        if key is not None:
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            if key.status != "Active" or now - key.create_date < delay:
                raise InvalidClientTokenIdError()
        return original_identity(self)

    iam_models.IAMBackend.delete_access_key_by_name = delete_access_key_by_name
    sts_responses.TokenResponse.get_caller_identity = get_caller_identity


def patch_account_summary(spec):
    """GetAccountSummary's AccountAccessKeysPresent agrees with the report's
    root row, as on IAM (moto always says 0)."""
    if not spec.get("root_key"):
        return
    original_init = iam_models.AccountSummary.__init__

    def init(self, iam_backend):
        original_init(self, iam_backend)
        self._account_access_keys_present = 1

    iam_models.AccountSummary.__init__ = init



class EventHistory:
    """Signed requests the emulator saw, and seeded ones: CloudTrail's event
    history. Each record: key id, service, action, time, source, agent, region."""

    def __init__(self, denied_regions):
        self.lock = threading.Lock()
        self.records = []
        self.denied = set(denied_regions)
        # region -> times of recent LookupEvents calls (throttling).
        self.calls = {}

    def add(self, record):
        with self.lock:
            self.records.append(record)

    def throttled(self, region, now):
        """CloudTrail allows 2 LookupEvents a second per region."""
        with self.lock:
            recent = [t for t in self.calls.get(region, []) if now - t < 1.0]
            if len(recent) >= 2:
                self.calls[region] = recent
                return True
            recent.append(now)
            self.calls[region] = recent
            return False

    def lookup(self, region, key_id, start, end):
        with self.lock:
            found = [
                r
                for r in self.records
                if r["region"] == region and r["key"] == key_id and start <= r["time"] <= end
            ]
        found.sort(key=lambda r: r["time"], reverse=True)
        return found


def seed_events(spec, report, history):
    now = time.time()
    ids = {u["name"]: [k["id"] for k in u["keys"]] for u in report["users"]}
    for n, ev in enumerate(spec.get("events", [])):
        key_id = ids[ev["user"]][ev["key"]]
        for i in range(int(ev.get("count", 1))):
            history.add(
                {
                    "id": f"seed-{n}-{i}",
                    "key": key_id,
                    "service": ev["service"],
                    "action": ev["action"],
                    "time": now - 60.0 * (float(ev["minutes_ago"]) + i),
                    "source": ev["source"],
                    "agent": ev["agent"],
                    "region": ev["region"],
                }
            )


SCOPE = re.compile(r"Credential=([^/,\s]+)/[0-9]{8}/([^/]+)/([^/]+)/")
# botocore sends it with the com.amazonaws.cloudtrail.v20131101. prefix, the Rust SDK without.
LOOKUP_TARGET = "CloudTrail_20131101.LookupEvents"
PAGE_MAX = 50


def json_reply(start_response, status, body, error_type=None):
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload)))]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    start_response(status, headers)
    return [payload]


def lookup_events(history, region, body, start_response):
    if region in history.denied:
        return json_reply(
            start_response,
            "400 Bad Request",
            {"__type": "AccessDeniedException", "message": f"not authorized to perform cloudtrail:LookupEvents in {region}"},
            "AccessDeniedException",
        )
    if history.throttled(region, time.time()):
        return json_reply(
            start_response,
            "400 Bad Request",
            {"__type": "ThrottlingException", "message": "Rate exceeded"},
            "ThrottlingException",
        )
    attrs = body.get("LookupAttributes") or []
    key_id = next((a["AttributeValue"] for a in attrs if a.get("AttributeKey") == "AccessKeyId"), None)
    max_results = int(body.get("MaxResults") or PAGE_MAX)
    if max_results < 1 or max_results > PAGE_MAX:
        return json_reply(
            start_response,
            "400 Bad Request",
            {"__type": "InvalidMaxResultsException", "message": "MaxResults must be 1 to 50"},
            "InvalidMaxResultsException",
        )
    now = time.time()
    start = float(body.get("StartTime") or now - 90 * 86400)
    end = float(body.get("EndTime") or now)
    found = history.lookup(region, key_id, start, end) if key_id else []
    offset = int(body.get("NextToken") or 0)
    page = found[offset : offset + max_results]
    events = []
    for r in page:
        stamp = datetime.fromtimestamp(r["time"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        detail = {
            "eventVersion": "1.08",
            "eventTime": stamp,
            "eventSource": f"{r['service']}.amazonaws.com",
            "eventName": r["action"],
            "awsRegion": r["region"],
            "sourceIPAddress": r["source"],
            "userAgent": r["agent"],
            "userIdentity": {"type": "IAMUser", "accessKeyId": r["key"]},
            "eventID": r["id"],
        }
        events.append(
            {
                "EventId": r["id"],
                "EventName": r["action"],
                "ReadOnly": "true",
                "AccessKeyId": r["key"],
                "EventTime": r["time"],
                "EventSource": f"{r['service']}.amazonaws.com",
                "Resources": [],
                "CloudTrailEvent": json.dumps(detail),
            }
        )
    reply = {"Events": events}
    if offset + max_results < len(found):
        reply["NextToken"] = str(offset + max_results)
    return json_reply(start_response, "200 OK", reply)


def with_event_history(app, history):
    """WSGI middleware: records each signed request in `history` and answers
    CloudTrail's LookupEvents from it (moto has none)."""

    def middleware(environ, start_response):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scope = SCOPE.search(auth)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        if scope and target.endswith(LOOKUP_TARGET):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            return lookup_events(history, scope.group(2), body, start_response)
        if scope:
            action = target.rsplit(".", 1)[-1] if target else None
            if not action:
                form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
                action = (form.get("Action") or ["unknown"])[0]
            history.add(
                {
                    "id": f"req-{time.time_ns()}",
                    "key": scope.group(1),
                    "service": scope.group(3),
                    "action": action,
                    "time": time.time(),
                    "source": environ.get("REMOTE_ADDR", "127.0.0.1"),
                    "agent": environ.get("HTTP_USER_AGENT", ""),
                    "region": scope.group(2),
                }
            )
        return app(environ, start_response)

    return middleware


def install_event_history(history):
    """Wraps the app ThreadedMotoServer builds in [`with_event_history`]."""
    original = moto_server.DomainDispatcherApplication

    def dispatcher(*args, **kwargs):
        return with_event_history(original(*args, **kwargs), history)

    moto_server.DomainDispatcherApplication = dispatcher


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto warns that STS's AccessDenied has no error shape: it is what AWS sends.
    warnings.filterwarnings("ignore", message=".*does not match an error shape.*")
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    snapshot_at = patch_credential_report(spec)
    patch_sts_key_checks(spec)
    patch_account_summary(spec)
    patch_sts_assume_role()
    patch_sts_access_key_info()
    history = EventHistory(spec.get("cloudtrail_denied_regions") or [])
    install_event_history(history)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    report = seed(spec)
    accounts = seed_organization(spec)
    if accounts is not None:
        report["accounts"] = accounts
    seed_events(spec, report, history)
    if spec.get("report_hours_ago") is not None:
        backend = iam_backends[DEFAULT_ACCOUNT_ID][PARTITION]
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        snapshot_at(backend, now - timedelta(hours=float(spec["report_hours_ago"])))
    report["port"] = port
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    # Serve until the parent closes our stdin (or dies).
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
