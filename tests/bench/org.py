"""Benchmark: `iamkeys list --org` against a 16-thread boto3 script that
assumes each account's role and reads it as the AWS example does, on the same
organization, behind a 30 ms round trip; and iamkeys' time and peak memory on
a wide organization.

python3 tests/bench/org.py [ACCOUNTSxUSERS ...]     (default: 20x50 200x10)

Build first: `cargo build --release`. For each size it seeds the moto emulator
(assets/emulator/launcher.py) with that many member accounts of that many users
each (tests/bench/make_org.py's mix of keys and uses), puts
tests/bench/latency_proxy.py in front, runs both, checks that they found the
same keys in the same accounts, and prints wall times, requests and iamkeys'
peak resident memory (GNU time's maximum RSS).
"""

import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from requests import counts, start_counting_proxy  # noqa: E402
from run import ENV, IAMKEYS, ROOT  # noqa: E402


def seed(accounts, users):
    made = subprocess.run(
        [sys.executable, os.path.join(HERE, "make_org.py"), str(users)],
        capture_output=True, text=True, check=True,
    )
    per_account = json.loads(made.stdout)["users"]
    return {
        "users": [],
        "organization": {
            "accounts": [{"name": f"account-{n:03d}", "users": per_account} for n in range(accounts)]
        },
    }


def start_emulator(spec, label):
    path = f"/tmp/iamkeys-bench-org-{label}.json"
    with open(path, "w") as out:
        json.dump(spec, out)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "assets", "emulator", "launcher.py"), path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    return proc, json.loads(proc.stdout.readline())


def fingerprint(records):
    return sorted(
        (r["account_id"], r["user"], r.get("access_key_id") or "")
        for r in records
        if r.get("user")
    )


def run(cmd):
    started = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], env=ENV, capture_output=True, text=True)
    took = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    return took, json.loads(out.stdout), int(rss.group(1)) // 1024 if rss else 0


def main():
    sizes = [tuple(int(n) for n in a.split("x")) for a in sys.argv[1:]] or [(20, 50), (200, 10)]
    print(f"30 ms round trip; {os.cpu_count()} cores")
    print(f"{'accounts':>8} {'users':>6} | {'iamkeys':>8} {'requests':>8} {'RSS':>7} | {'boto3 x16':>9} {'requests':>8} {'RSS':>7} | {'speed-up':>8} | same")
    for accounts, users in sizes:
        emulator, report = start_emulator(seed(accounts, users), f"{accounts}x{users}")
        proxy, port = start_counting_proxy(report["port"])
        url = f"http://127.0.0.1:{port}"
        try:
            ours, ours_out, ours_rss = run(
                [IAMKEYS, "list", "--org", "--output", "json", "--endpoint-url", url, "--region", "us-east-1"]
            )
            ours_requests = sum(counts(proxy).values())
            theirs, theirs_out, theirs_rss = run([sys.executable, os.path.join(HERE, "boto3_org.py"), url, "16"])
            theirs_requests = sum(counts(proxy).values())
            same = fingerprint(ours_out) == fingerprint(theirs_out)
            print(
                f"{accounts:>8} {users:>6} | {ours:>7.2f}s {ours_requests:>8} {ours_rss:>5}MB"
                f" | {theirs:>8.2f}s {theirs_requests:>8} {theirs_rss:>5}MB | {theirs / ours:>7.1f}x | {same}",
                flush=True,
            )
        finally:
            proxy.stdin.close()
            proxy.wait()
            emulator.stdin.close()
            emulator.wait()


if __name__ == "__main__":
    main()
