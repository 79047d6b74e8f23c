"""Benchmark: the dashboard itself, read off a tmux pane.

python3 tests/bench/tui.py USERS RTT_MS

Starts the moto emulator with a generated organisation and a latency proxy,
runs target/release/iamkeys in a 160x50 tmux pane, and reports the time from
start to the first user row on screen, to the complete table ("loaded N users"),
and the process's peak resident memory (VmHWM) once loaded.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ENV, IAMKEYS, start_emulator, start_proxy  # noqa: E402


def pane():
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", "bench"], capture_output=True, text=True).stdout


def main():
    users, rtt = int(sys.argv[1]), float(sys.argv[2])
    emulator, port = start_emulator(users)
    proxy, proxy_port = start_proxy(port, rtt)
    subprocess.run(["tmux", "kill-session", "-t", "bench"], capture_output=True)
    env = " ".join(f"{k}={v}" for k, v in ENV.items() if k.startswith("AWS_"))
    command = f"env {env} {IAMKEYS} --endpoint-url http://127.0.0.1:{proxy_port} --region us-east-1"
    started = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", "bench", "-x", "160", "-y", "50", command], check=True)
    pid = subprocess.run(["tmux", "display", "-p", "-t", "bench", "#{pane_pid}"], capture_output=True, text=True).stdout.strip()
    first = None
    while True:
        screen = pane()
        now = time.monotonic()
        if first is None and "user0" in screen:
            first = now - started
        if f"loaded {users} users" in screen:
            complete = now - started
            break
        if now - started > 900:
            sys.exit("not loaded within 15 minutes:\n" + screen)
        time.sleep(0.02)
    with open(f"/proc/{pid}/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    print(f"{users} users, {rtt:.0f} ms: first rows {first:.2f}s, complete table {complete:.2f}s, peak RSS {int(peak) / 1024:.1f} MiB")
    subprocess.run(["tmux", "send-keys", "-t", "bench", "q"])
    time.sleep(0.5)
    subprocess.run(["tmux", "kill-session", "-t", "bench"], capture_output=True)
    proxy.stdin.close()
    emulator.stdin.close()
    emulator.wait()


if __name__ == "__main__":
    main()
