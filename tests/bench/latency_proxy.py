"""A TCP proxy on loopback that adds a fixed round-trip time to every exchange.

python3 latency_proxy.py LISTEN_PORT UPSTREAM_PORT RTT_MS

It also counts the requests it passes, by IAM action (the `Action=` of each
form body): the line `counts {...}` (JSON) is printed on stdout each time a
line arrives on its stdin ("counts" asks; end of input stops it).

Each chunk from the client reaches the upstream RTT/2 later, and each chunk of
the reply reaches the client RTT/2 later, so one HTTP request costs one RTT more,
like a client 30 ms away from IAM. (The kernel here has no netem.) Prints
"ready" once listening; stops when its stdin closes.
"""

import asyncio
import json
import re
import sys
from collections import Counter

COUNTS = Counter()
# The action is followed by `&Version=`: a name cut at the end of a read does not match.
ACTION = re.compile(rb"(?:^|&|\n)Action=([A-Za-z]+)&")


async def pipe(reader, writer, delay, count=False):
    carry = b""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if count:
                # A form body may be split between reads: keep a tail.
                text = carry + data
                for match in ACTION.finditer(text):
                    if match.end() > len(carry):
                        COUNTS[match.group(1).decode()] += 1
                carry = text[-64:]
            if delay:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    listen, upstream, rtt_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    half = rtt_ms / 2000.0

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, up_writer, half, count=True), pipe(up_reader, client_writer, half)
        )

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=1024)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        print("counts " + json.dumps(dict(COUNTS)), flush=True)
        COUNTS.clear()
    server.close()


asyncio.run(main())
