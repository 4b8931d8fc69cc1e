"""SSE fan-out: CLIENTS clients follow GET /api/v1/events while scans are posted at RATE per second.

Each scan's answer carries its id in the scan log; each client notes when that scan's event
reached it. Delivery latency is from the scan's answer (the scan is logged) to the event at a
client, over every client and every scan. Plain asyncio sockets: no HTTP library to install.

Usage: sse_fanout.py PORT TOKEN CODES_FILE [CLIENTS] [SCANS] [RATE]
"""
import asyncio
import json
import random
import sys
import time

port, token, codes_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 100
scans = int(sys.argv[5]) if len(sys.argv) > 5 else 400
rate = float(sys.argv[6]) if len(sys.argv) > 6 else 20.0
codes = [line.strip() for line in open(codes_file) if line.strip()]
random.seed(7)

answered = {}          # scan id -> monotonic time its POST was answered
received = []          # (scan id, monotonic time) per client per event
connected = 0


async def follow(ready):
    global connected
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api/v1/events?station=lookup-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"events: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    # The stream is chunked: a hex size line, that many bytes, CRLF.
    buffer = b""
    announced = False
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            return
        buffer += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            lines = block.decode(errors="replace").split("\n")
            if not announced and any(l.startswith(": connected") for l in lines):
                announced = True
                connected += 1
                if connected == clients:
                    ready.set()
            event = next((l[7:] for l in lines if l.startswith("event: ")), None)
            data = next((l[6:] for l in lines if l.startswith("data: ")), None)
            if event == "scan" and data:
                received.append((json.loads(data)["scan"], time.monotonic()))


async def post(scan_count):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    interval = 1 / rate
    start = time.monotonic()
    for index in range(scan_count):
        await asyncio.sleep(max(0, start + index * interval - time.monotonic()))
        body = json.dumps({"raw": random.choice(codes)}).encode()
        writer.write((f"POST /api/v1/stations/lookup-1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        await writer.drain()
        status = await reader.readline()
        length = 0
        while True:
            header = await reader.readline()
            if header in (b"\r\n", b""):
                break
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":")[1])
        answer = await reader.readexactly(length)
        if b" 200 " in status:
            answered[json.loads(answer)["scan"]] = time.monotonic()
    writer.close()


async def main():
    ready = asyncio.Event()
    followers = [asyncio.create_task(follow(ready)) for _ in range(clients)]
    await asyncio.wait_for(ready.wait(), 60)
    await post(scans)
    await asyncio.sleep(3)
    for task in followers:
        task.cancel()
    latencies = sorted((at - answered[scan]) * 1000 for scan, at in received if scan in answered)
    expected = len(answered) * clients
    if not latencies:
        raise SystemExit("no event reached any client")
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"RESULT clients {clients}  scans {len(answered)} at {rate:.0f}/s  events delivered {len(latencies)} of {expected}  "
          f"p50 {p(0.50):.2f} ms  p99 {p(0.99):.2f} ms  max {latencies[-1]:.2f} ms")


asyncio.run(main())
