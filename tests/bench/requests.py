"""Benchmark: requests per user and per key, and wall time, of `iamkeys list`
against a 16-thread boto3 script and the AWS example's sequential reads, on the
same data in the same run, behind a 30 ms round trip.

python3 tests/bench/requests.py [USERS ...]       (default: 300 5000)
        IAMKEYS_BENCH_SEQUENTIAL_MAX=N            (sequential only up to N users; default 300)

Build first: `cargo build --release`. For each size and for a credential report
that is fresh (IAM makes it for this load) or 3.5 hours old (IAM hands out one
up to four hours old), it starts the moto emulator (assets/emulator/launcher.py,
whose report behaves like IAM's) behind tests/bench/latency_proxy.py, which
counts the requests by action, and runs:
  - iamkeys list --output json
  - boto3_threaded.py (16 threads; the AWS example's reads)
  - boto3_sequential.py (the AWS example, one call at a time)
It checks that all of them found the same keys.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import ENV, IAMKEYS, ROOT, fingerprint, free_port  # noqa: E402

RTT_MS = 30.0


def start_emulator(users, report_hours_ago):
    seed_path = f"/tmp/iamkeys-bench-requests-{users}-{report_hours_ago}.json"
    made = subprocess.run(
        [sys.executable, os.path.join(HERE, "make_org.py"), str(users)],
        capture_output=True, text=True, check=True,
    )
    seed = json.loads(made.stdout)
    if report_hours_ago is not None:
        seed["report_hours_ago"] = report_hours_ago
    with open(seed_path, "w") as out:
        json.dump(seed, out)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "assets", "emulator", "launcher.py"), seed_path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    report = json.loads(proc.stdout.readline())
    with_keys = sum(1 for u in seed["users"] if u["keys"])
    keys = sum(len(u["keys"]) for u in seed["users"])
    return proc, report["port"], with_keys, keys


def start_counting_proxy(upstream):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "latency_proxy.py"), str(port), str(upstream), str(RTT_MS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc, port


def counts(proxy):
    """The requests the proxy passed since it was last asked, by action."""
    proxy.stdin.write("counts\n")
    proxy.stdin.flush()
    line = proxy.stdout.readline().strip()
    return json.loads(line.removeprefix("counts "))


def timed(cmd):
    started = time.monotonic()
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    took = time.monotonic() - started
    if out.returncode not in (0, 3):
        sys.exit(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return took, json.loads(out.stdout)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [300, 5000]
    sequential_max = int(os.environ.get("IAMKEYS_BENCH_SEQUENTIAL_MAX", "300"))
    print(f"{RTT_MS:.0f} ms round trip; {os.cpu_count()} cores")
    print(
        f"{'users':>6} {'report':>7} | {'iamkeys':>8} {'requests':>8} {'/user w/ keys':>13} {'/key':>6}"
        f" | {'boto3 x16':>9} {'requests':>8} {'speed-up':>8} | {'sequential':>10} {'speed-up':>8} | same"
    )
    for users in sizes:
        for label, hours in (("fresh", None), ("3.5 h", 3.5)):
            emulator, port, with_keys, keys = start_emulator(users, hours)
            proxy, proxy_port = start_counting_proxy(port)
            url = f"http://127.0.0.1:{proxy_port}"
            try:
                base = [IAMKEYS, "list", "--output", "json", "--endpoint-url", url, "--region", "us-east-1"]
                ours, ours_out = timed(base)
                ours_counts = counts(proxy)
                ours_requests = sum(ours_counts.values())
                threaded, threaded_out = timed([sys.executable, os.path.join(HERE, "boto3_threaded.py"), url, "16"])
                threaded_requests = sum(counts(proxy).values())
                same = fingerprint(ours_out) == fingerprint(threaded_out)
                seq_cell = f"{'-':>10} {'-':>8}"
                if users <= sequential_max:
                    seq, seq_out = timed([sys.executable, os.path.join(HERE, "boto3_sequential.py"), url])
                    counts(proxy)
                    same = same and fingerprint(seq_out) == fingerprint(ours_out)
                    seq_cell = f"{seq:>9.2f}s {seq / ours:>7.1f}x"
                print(
                    f"{users:>6} {label:>7} | {ours:>7.2f}s {ours_requests:>8} {ours_requests / with_keys:>13.3f}"
                    f" {ours_requests / keys:>6.3f} | {threaded:>8.2f}s {threaded_requests:>8}"
                    f" {threaded / ours:>7.1f}x | {seq_cell} | {same}",
                    flush=True,
                )
                print(f"         iamkeys requests by action: {json.dumps(ours_counts, sort_keys=True)}", flush=True)
            finally:
                proxy.stdin.close()
                proxy.wait()
                emulator.stdin.close()
                emulator.wait()


if __name__ == "__main__":
    main()
