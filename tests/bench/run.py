"""Benchmark: `iamkeys list` against the AWS example's sequential boto3 reads.

python3 tests/bench/run.py [USERS] [RTT_MS ...]      (default: 1000 users, 0 and 30 ms)

Builds nothing: run `cargo build --release` first. Starts the moto emulator with a
generated organisation, then for each round-trip time puts a latency proxy in
front of it and times, on the same data:
  - iamkeys list --output json            (credential report + concurrent reads)
  - iamkeys list --output json --source live
  - boto3_sequential.py                    (one call at a time, as the AWS example)
and checks that all three found the same keys with the same last uses.
"""

import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IAMKEYS = os.path.join(ROOT, "target", "release", "iamkeys")
ENV = dict(
    os.environ,
    AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_CONFIG_FILE="/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    AWS_EC2_METADATA_DISABLED="true",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator(users):
    seed = f"/tmp/iamkeys-bench-{users}.json"
    with open(seed, "w") as out:
        subprocess.run([sys.executable, os.path.join(HERE, "make_org.py"), str(users)], stdout=out, check=True)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "assets", "emulator", "launcher.py"), seed],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    report = json.loads(proc.stdout.readline())
    return proc, report["port"]


def start_proxy(upstream, rtt):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "latency_proxy.py"), str(port), str(upstream), str(rtt)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc, port


def timed(cmd):
    started = time.monotonic()
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    took = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({out.returncode}): {out.stderr}")
    return took, json.loads(out.stdout)


def fingerprint(records):
    """(user, key id, last-used date to the second) for every record."""
    def day(value):
        return value[:19] if value else None
    return sorted((r["user"], r["access_key_id"] or "", day(r.get("last_used"))) for r in records)


def main():
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rtts = [float(a) for a in sys.argv[2:]] or [0.0, 30.0]
    emulator, port = start_emulator(users)
    print(f"{users} users on moto at 127.0.0.1:{port}; {os.cpu_count()} cores")
    print(f"{'rtt':>6} {'iamkeys list':>14} {'--source live':>14} {'boto3 sequential':>17} {'speed-up':>9}")
    try:
        for rtt in rtts:
            proxy, proxy_port = start_proxy(port, rtt)
            url = f"http://127.0.0.1:{proxy_port}"
            base = [IAMKEYS, "list", "--output", "json", "--endpoint-url", url, "--region", "us-east-1"]
            fast, fast_out = timed(base)
            live, live_out = timed(base + ["--source", "live"])
            slow, slow_out = timed([sys.executable, os.path.join(HERE, "boto3_sequential.py"), url])
            same = fingerprint(fast_out) == fingerprint(live_out) == fingerprint(slow_out)
            print(
                f"{rtt:>4.0f}ms {fast:>13.2f}s {live:>13.2f}s {slow:>16.2f}s {slow / fast:>8.1f}x"
                f"  records {len(fast_out)}, same data: {same}"
            )
            proxy.stdin.close()
            proxy.wait()
    finally:
        emulator.stdin.close()
        emulator.wait()


if __name__ == "__main__":
    main()
