"""An open-loop HTTP load generator: requests at a constant arrival rate, whatever the server does.

wrk keeps N connections busy (a closed loop): when the server slows down, wrk sends less, and the
latency it reports leaves out the time requests would have waited (coordinated omission). Here
request i is due at ``start + i / rate`` and goes out then on an idle keep-alive connection, or a
new one if none is idle: a slow server gets more connections, never fewer requests. Its latency
is counted from when it was due, not from when it went out. Requests that could not go out within
``LATE_MS`` of their time (the generator itself behind, or the connection limit reached) are
counted as late; failed ones (no 2xx, a connection error, no answer within the timeout) as
failed. Plain asyncio, HTTP/1.1 with keep-alive, no dependencies; at 100 requests a second it
uses a few per cent of one core.

Used by ``bench/events.py``; on its own (GET only)::

    .venv/bin/python bench/openloop.py http://127.0.0.1:8000/api/v1/me --rate 100 --duration 10
"""

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LATE_MS = 10.0


@dataclass
class OpenLoopResult:
    rate: float  # offered, requests per second
    duration: float  # seconds of arrivals
    sent: int = 0
    ok: int = 0
    failed: int = 0
    late: int = 0  # went out more than LATE_MS after they were due
    latencies_ms: list[float] = field(default_factory=list)  # of every answered request, from due
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)  # of the 2xx answers, if asked for
    connections: int = 0  # opened in all
    elapsed: float = 0.0  # from the first request due to the last answer

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]

    def summary(self) -> dict:
        return {
            "offered": self.rate,
            "sent": self.sent,
            "ok": self.ok,
            "failed": self.failed,
            "late": self.late,
            "p50_ms": self.percentile(50),
            "p99_ms": self.percentile(99),
            "max_ms": max(self.latencies_ms, default=float("nan")),
            "mean_ms": statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan"),
            "connections": self.connections,
            "statuses": self.statuses,
            "errors": self.errors,
        }


class _Closed(Exception):
    """The server closed an idle keep-alive connection before our request reached it."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep the connection) of one HTTP/1.1 response."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Closed from None
        raise
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    keep = headers.get("connection", "").lower() != "close"
    return status, body, keep


async def _run(
    url: str,
    *,
    rate: float,
    duration: float,
    method: str,
    headers: dict[str, str],
    body: Callable[[int], bytes] | None,
    timeout: float,
    max_connections: int,
    keep_bodies: bool,
) -> OpenLoopResult:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    result = OpenLoopResult(rate=rate, duration=duration)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    free = asyncio.Semaphore(max_connections)
    loop = asyncio.get_running_loop()
    total = int(rate * duration)
    start = loop.time() + 0.1

    def request_bytes(i: int) -> bytes:
        payload = body(i) if body is not None else b""
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if payload or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(payload)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    def error(kind: str) -> None:
        result.failed += 1
        result.errors[kind] = result.errors.get(kind, 0) + 1

    async def one(i: int, due: float) -> None:
        data = request_bytes(i)
        async with free:
            went = loop.time()
            if (went - due) * 1000 > LATE_MS:
                result.late += 1
            result.sent += 1
            for attempt in range(2):
                reused = bool(idle)
                if reused:
                    reader, writer = idle.pop()
                else:
                    try:
                        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                    except (OSError, TimeoutError):
                        error("connect")
                        return
                    result.connections += 1
                try:
                    writer.write(data)
                    await writer.drain()
                    remaining = timeout - (loop.time() - went)
                    status, answer, keep = await asyncio.wait_for(_read_response(reader), remaining)
                except _Closed:
                    writer.close()
                    if reused and attempt == 0:
                        continue  # a stale keep-alive connection: once more on another
                    error("closed")
                    return
                except TimeoutError:
                    writer.close()
                    error("timeout")
                    return
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    writer.close()
                    error("read")
                    return
                break
            done = loop.time()
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latencies_ms.append((done - due) * 1000)
            if 200 <= status < 300:
                result.ok += 1
                if keep_bodies:
                    result.bodies.append(answer)
            else:
                error(f"status {status}")
            if keep:
                idle.append((reader, writer))
            else:
                writer.close()

    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    result.elapsed = loop.time() - start
    for _reader, writer in idle:
        writer.close()
    return result


def open_loop(
    url: str,
    *,
    rate: float,
    duration: float,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: Callable[[int], bytes] | None = None,
    timeout: float = 10.0,
    max_connections: int = 512,
    keep_bodies: bool = False,
) -> OpenLoopResult:
    """Send ``rate * duration`` requests to ``url``, request i due at ``i / rate`` seconds;
    ``body(i)`` makes request i's body."""
    return asyncio.run(
        _run(
            url,
            rate=rate,
            duration=duration,
            method=method,
            headers=headers or {},
            body=body,
            timeout=timeout,
            max_connections=max_connections,
            keep_bodies=keep_bodies,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    args = parser.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    started = time.perf_counter()
    result = open_loop(args.url, rate=args.rate, duration=args.duration, headers=headers)
    print(json.dumps({**result.summary(), "wall_s": round(time.perf_counter() - started, 1)}, indent=1))


if __name__ == "__main__":
    main()
