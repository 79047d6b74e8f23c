"""Benchmark: the loader under an account-wide rate limit.

python3 tests/bench/throttle.py [USERS] [RATE ...]     (default: 300 users, 20 and 50 /s)

Build first: `cargo build --release`. Starts the moto emulator with a generated
organisation and puts in front of it a loopback proxy that throttles the way IAM
does: an account-wide token bucket of RATE requests a second (holding one second
of them), and beyond it HTTP 400 with IAM's `Throttling` / `Rate exceeded` body.
Then runs `iamkeys list --output json --source live` (one call per key: the most
requests) through it and reports how many requests a second got through, against
the limit, and whether every record was read (exit code 0, no record with an error).
The goal: at least 0.9 x RATE, and no record failed.
"""

import asyncio
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import ENV, IAMKEYS, start_emulator  # noqa: E402

THROTTLE_BODY = (
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
    "<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>throttle-proxy</RequestId></ErrorResponse>"
)


class Bucket:
    def __init__(self, rate):
        self.rate = rate
        self.tokens = float(rate)
        self.at = time.monotonic()
        self.passed = []
        self.throttled = 0

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.passed.append(now)
            return True
        self.throttled += 1
        return False


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return head, body


async def serve(bucket, upstream, reader, writer):
    try:
        head, body = await read_request(reader)
        if not bucket.take():
            reply = (
                f"HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\n"
                f"Content-Length: {len(THROTTLE_BODY)}\r\nConnection: close\r\n\r\n{THROTTLE_BODY}"
            ).encode()
        else:
            head = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
            up_writer.write(head + body)
            await up_writer.drain()
            reply = await up_reader.read()
            up_writer.close()
        writer.write(reply)
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def start_proxy(bucket, upstream):
    ready = threading.Event()
    holder = {}

    def run():
        async def main():
            server = await asyncio.start_server(
                lambda r, w: serve(bucket, upstream, r, w), "127.0.0.1", 0, backlog=1024
            )
            holder["port"] = server.sockets[0].getsockname()[1]
            holder["loop"] = asyncio.get_running_loop()
            holder["stop"] = asyncio.Event()
            ready.set()
            await holder["stop"].wait()
            server.close()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait()
    return holder, thread


def main():
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rates = [float(a) for a in sys.argv[2:]] or [20.0, 50.0]
    emulator, port = start_emulator(users)
    print(f"{users} users on moto at 127.0.0.1:{port}; {os.cpu_count()} cores")
    print(f"{'limit':>7} {'requests':>9} {'throttled':>10} {'took':>8} {'through':>9} {'of limit':>9}  result")
    try:
        for rate in rates:
            bucket = Bucket(rate)
            holder, thread = start_proxy(bucket, port)
            url = f"http://127.0.0.1:{holder['port']}"
            cmd = [IAMKEYS, "list", "--output", "json", "--source", "live",
                   "--endpoint-url", url, "--region", "us-east-1"]
            started = time.monotonic()
            out = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
            took = time.monotonic() - started
            holder["loop"].call_soon_threadsafe(holder["stop"].set)
            thread.join()
            records = json.loads(out.stdout) if out.stdout.strip() else []
            failed = sum(1 for r in records if r.get("error"))
            passed = bucket.passed
            span = (passed[-1] - passed[0]) if len(passed) > 1 else took
            through = (len(passed) - 1) / span if span > 0 else 0.0
            result = f"exit {out.returncode}, {len(records)} records, {failed} failed"
            if out.returncode != 0:
                result += f": {out.stderr.strip()[-200:]}"
            print(
                f"{rate:>5.0f}/s {len(passed):>9} {bucket.throttled:>10} {took:>7.1f}s "
                f"{through:>7.1f}/s {through / rate:>8.2f}x  {result}"
            )
    finally:
        emulator.stdin.close()
        emulator.wait()


if __name__ == "__main__":
    main()
