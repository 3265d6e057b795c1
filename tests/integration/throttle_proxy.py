"""A slow network link for the tests: a TCP proxy on 127.0.0.1 that forwards to a server on
127.0.0.1 at a limited rate, with an added one-way delay (standard library only).

    with ThrottleProxy(nginx.port, up_rate=62_500, delay=0.05) as link:
        url = f"rtmp://127.0.0.1:{link.port}/live/stream"     # publish through the link
        ...
        link.set_rate(up=None)          # open it up while it runs (None = no limit)
        link.rate_up(t0, t1)            # bytes/s it took from the client between t0 and t1

Model: each direction of each connection is a pipe with a token bucket. The proxy reads from
the sending side only as fast as the rate allows (at most `burst` seconds' worth at a time)
and with a small receive buffer (`window` bytes), so what the link cannot carry stays in the
sender's socket, as it would behind a real bottleneck; a sender's kernel does not get to hide
megabytes in a loopback receive buffer. What was read is handed to the other side `delay`
seconds later (one way; the round trip is twice that). `up` is client -> server, `down`
server -> client; a rate is in bytes per second, None is unlimited and 0 stalls the direction
(nothing is read until the rate changes). Rates and the delay can be changed at any time and
apply to every open connection at once.

Half-closes are forwarded (after the data before them), so a client that shuts down its
sending side and waits for the server to close sees the server's close. Every byte read from
the client is recorded with its time (`samples_up`), to measure the client's send rate.
"""

from __future__ import annotations

import collections
import contextlib
import select
import socket
import threading
import time
from typing import Optional

LOOPBACK = "127.0.0.1"


class _Pipe:
    """One direction of one connection: a rate-limited reader and a delayed writer."""

    def __init__(self, link: "ThrottleProxy", direction: str, src: socket.socket,
                 dst: socket.socket, on_done):
        self.link = link
        self.direction = direction
        self.src, self.dst = src, dst
        self.on_done = on_done
        self.items: collections.deque = collections.deque()  # (release time, bytes or None)
        self.cond = threading.Condition()
        self.tokens = 0.0
        self.refilled = time.monotonic()
        self.failed = False
        self.threads = [threading.Thread(target=self._read, daemon=True),
                        threading.Thread(target=self._write, daemon=True)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    # -- reading, at the link's rate ------------------------------------------------------------
    def _allowance(self) -> Optional[int]:
        """How many bytes may be read now (None: wait a little and ask again)."""
        rate = self.link.rate(self.direction)
        now = time.monotonic()
        if rate is None:
            self.refilled = now
            return 1 << 16
        if rate <= 0:
            self.refilled = now
            self.tokens = 0.0
            return None
        burst = max(1024.0, rate * self.link.burst)
        self.tokens = min(burst, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        want = min(burst, 1024.0)
        if self.tokens >= want:
            return int(self.tokens)
        time.sleep(min(0.05, (want - self.tokens) / rate))
        return None

    def _read(self) -> None:
        while not self.link.stopping and not self.failed:
            n = self._allowance()
            if n is None:
                continue
            try:
                ready, _, _ = select.select([self.src], [], [], 0.1)
                if not ready:
                    continue
                data = self.src.recv(n)
            except OSError:
                data = b""
            now = time.monotonic()
            if data and self.link.rate(self.direction) is not None:
                self.tokens -= len(data)
            self.link.record(self.direction, now, len(data))
            with self.cond:
                self.items.append((now + self.link.delay, data or None))
                self.cond.notify()
            if not data:
                return

    # -- writing, `delay` after reading -----------------------------------------------------------
    def _write(self) -> None:
        while True:
            with self.cond:
                while not self.items and not self.link.stopping:
                    self.cond.wait(0.1)
                if self.link.stopping:
                    return
                release, data = self.items[0]
                wait = release - time.monotonic()
                if wait > 0:
                    self.cond.wait(wait)
                    continue
                self.items.popleft()
            if data is None:
                with contextlib.suppress(OSError):
                    self.dst.shutdown(socket.SHUT_WR)
                self.on_done(self, clean=True)
                return
            try:
                self.dst.sendall(data)
                self.link.record_forwarded(self.direction, len(data))
            except OSError:
                self.failed = True
                self.on_done(self, clean=False)
                return


class _Connection:
    def __init__(self, link: "ThrottleProxy", client: socket.socket, server: socket.socket):
        self.link = link
        self.client, self.server = client, server
        self.lock = threading.Lock()
        self.done = 0
        self.closed = False
        self.pipes = [_Pipe(link, "up", client, server, self._pipe_done),
                      _Pipe(link, "down", server, client, self._pipe_done)]

    def start(self) -> None:
        for p in self.pipes:
            p.start()

    def _pipe_done(self, _pipe: _Pipe, clean: bool) -> None:
        with self.lock:
            self.done += 1
            if clean and self.done < 2:
                return  # the other direction goes on (a half-close)
        self.close()

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for p in self.pipes:
            p.failed = True
            with p.cond:
                p.cond.notify_all()
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.close()


class ThrottleProxy:
    """See the module docstring. `window`: receive buffer of the proxy's sockets (bytes, the
    kernel doubles it); `burst`: the token bucket's depth in seconds of the rate."""

    def __init__(self, target_port: int, *, up_rate: Optional[float] = None,
                 down_rate: Optional[float] = None, delay: float = 0.0, window: int = 4096,
                 burst: float = 0.02, target_host: str = LOOPBACK):
        self.target = (target_host, target_port)
        self.rates = {"up": up_rate, "down": down_rate}
        self.delay = delay
        self.window = window
        self.burst = burst
        self.stopping = False
        self.port: int | None = None
        self.connections: list[_Connection] = []
        self.samples_up: list[tuple[float, int]] = []  # (time, bytes read from the client)
        self.totals = {"up": 0, "down": 0}              # bytes read per direction
        self.forwarded = {"up": 0, "down": 0}           # bytes written to the other side
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None

    # -- control --------------------------------------------------------------------------------
    def set_rate(self, up="keep", down="keep") -> None:
        """New rates in bytes/s (None = unlimited, 0 = stalled); "keep" leaves one as it is."""
        with self._lock:
            if up != "keep":
                self.rates["up"] = up
            if down != "keep":
                self.rates["down"] = down

    def set_delay(self, seconds: float) -> None:
        self.delay = seconds

    def rate(self, direction: str) -> Optional[float]:
        with self._lock:
            return self.rates[direction]

    # -- measurements ---------------------------------------------------------------------------
    def record(self, direction: str, when: float, n: int) -> None:
        with self._lock:
            self.totals[direction] += n
            if direction == "up" and n:
                self.samples_up.append((when, self.totals["up"]))

    def record_forwarded(self, direction: str, n: int) -> None:
        with self._lock:
            self.forwarded[direction] += n

    def bytes_up_until(self, t: float) -> int:
        """Bytes read from the clients up to time t."""
        with self._lock:
            samples = list(self.samples_up)
        total = 0
        for when, cumulative in samples:
            if when > t:
                break
            total = cumulative
        return total

    def rate_up(self, t0: float, t1: float) -> float:
        """Bytes per second read from the clients between t0 and t1."""
        return (self.bytes_up_until(t1) - self.bytes_up_until(t0)) / (t1 - t0)

    def first_up(self) -> float | None:
        with self._lock:
            return self.samples_up[0][0] if self.samples_up else None

    def last_up(self) -> float | None:
        with self._lock:
            return self.samples_up[-1][0] if self.samples_up else None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "ThrottleProxy":
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Set before listen(), so that accepted sockets get it before the window is announced.
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.window)
        ls.bind((LOOPBACK, 0))
        ls.listen(8)
        ls.settimeout(0.1)
        self._listener = ls
        self.port = ls.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()
        return self

    def _accept(self) -> None:
        while not self.stopping:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.window)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, client, server)
            with self._lock:
                self.connections.append(conn)
            conn.start()

    def stop(self) -> None:
        self.stopping = True
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(5)
        with self._lock:
            conns = list(self.connections)
        for c in conns:
            c.close()
        for c in conns:
            for p in c.pipes:
                for t in p.threads:
                    t.join(5)

    def __enter__(self) -> "ThrottleProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
