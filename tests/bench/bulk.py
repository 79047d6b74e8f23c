"""Benchmark: a 200-key bulk deactivate, and its undo.

python3 tests/bench/bulk.py [KEYS] [RTT_MS ...]     (default: 200 keys; 0 and 30 ms)

Build first: `cargo build --release`. Seeds the moto emulator with KEYS users of
one active key each, all unused for 100 days, then for each round-trip time (a
loopback proxy adds it to every exchange) times
`iamkeys deactivate --filter is:unused --yes` (load, plan, and one
UpdateAccessKey per key, with its pre-check ListAccessKeys) and then
`iamkeys undo --yes`, and checks in the journal that every key was changed.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import ENV, IAMKEYS, ROOT, start_proxy  # noqa: E402


def seed(keys):
    users = [
        {
            "name": f"svc-{i:04}",
            "path": "/bulk/",
            "created_days_ago": 400,
            "keys": [
                {
                    "status": "Active",
                    "created_days_ago": 300,
                    "last_used": {"days_ago": 100, "service": "s3", "region": "eu-west-1"},
                }
            ],
        }
        for i in range(keys)
    ]
    path = f"/tmp/iamkeys-bulk-{keys}.json"
    with open(path, "w") as out:
        json.dump({"users": users}, out)
    return path


def run(args, journal, url):
    cmd = [IAMKEYS, *args, "--endpoint-url", url, "--region", "us-east-1", "--journal", journal]
    started = time.monotonic()
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return time.monotonic() - started, out


def main():
    keys = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rtts = [int(a) for a in sys.argv[2:]] or [0, 30]
    print(f"{keys} active keys, unused 100 days; {os.cpu_count()} cores")
    print(f"{'rtt':>6} {'deactivate':>11} {'changed':>8} {'undo':>8} {'back':>6}")
    for rtt in rtts:
        proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "assets", "emulator", "launcher.py"), seed(keys)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        port = json.loads(proc.stdout.readline())["port"]
        proxy = start_proxy(port, rtt) if rtt else None
        url = f"http://127.0.0.1:{proxy[1] if proxy else port}"
        with tempfile.TemporaryDirectory() as tmp:
            journal = os.path.join(tmp, "journal.jsonl")
            took, out = run(["deactivate", "--filter", "is:unused", "--yes"], journal, url)
            if out.returncode != 0:
                print(out.stderr[-500:])
            with open(journal) as j:
                entries = [json.loads(line) for line in j]
            changed = sum(1 for e in entries if e["result"] == "ok" and e["action"] == "deactivate")
            undo_took, undo = run(["undo", "--yes"], journal, url)
            with open(journal) as j:
                back = sum(1 for line in j if '"source":"undo"' in line and '"result":"ok"' in line)
            print(f"{rtt:>4}ms {took:>10.1f}s {changed:>8} {undo_took:>7.1f}s {back:>6}"
                  + ("" if undo.returncode == 0 else f"  undo exit {undo.returncode}"))
        if proxy:
            proxy[0].stdin.close()
            proxy[0].wait()
        proc.stdin.close()
        proc.wait()


if __name__ == "__main__":
    main()
