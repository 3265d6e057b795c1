"""SOCKS proxies for the integration tests, each on a free 127.0.0.1 port, as
context managers:

  Microsocks(user=None, password=None)   SOCKS5 (/usr/bin/microsocks), with
                                          RFC 1929 username/password when given
  Danted(workdir)                         Dante 1.4 (/usr/sbin/danted): SOCKS4
                                          and SOCKS5, no authentication
  ScriptedSocks4a()                       an in-process SOCKS4/4a server

Why a scripted SOCKS4a peer: Dante 1.4.2 does not implement SOCKS4a.  Given
the 0.0.0.1 address of a SOCKS4a request followed by a host name, it ignores
the name and tries to connect to 0.0.0.1 itself (its debug log shows "Packet:
VER: 4 CMD: 1 address: 0.0.0.1.PORT") and answers 91 (rejected); microsocks
speaks SOCKS5 only.  So SOCKS4a is checked against ScriptedSocks4a, which
resolves the name itself (IPv4 only) and relays bytes like a real proxy.

Every proxy records enough to prove that the traffic went through it
(`connections()`), and processes are stopped on exit like harness.py's.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import harness as H

MICROSOCKS = shutil.which("microsocks") or "/usr/bin/microsocks"
DANTED = "/usr/sbin/danted"


def have_microsocks() -> bool:
    return os.access(MICROSOCKS, os.X_OK)


def have_danted() -> bool:
    return os.access(DANTED, os.X_OK)


class _ProxyProcess:
    """A proxy program on a free port; subclasses give argv() and may write a
    config first.  Retries a few times when the port was taken meanwhile."""

    name = "proxy"

    def __init__(self, workdir: str | os.PathLike | None = None):
        self._own_dir = workdir is None
        self.dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="socks-"))
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.dir / f"{self.name}.log"

    def argv(self) -> list[str]:
        raise NotImplementedError

    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5):
            self.port = H.free_port()
            argv = self.argv()
            with open(self.log_path, "ab") as log:
                self.proc = H._spawn(argv, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if H.port_listening(self.port):
                    return self
                time.sleep(0.05)
            self._stop_process()
        raise RuntimeError(f"{self.name} did not start:\n{self.log()}")

    def _stop_process(self) -> None:
        if self.proc is not None:
            # The whole group: Dante's mother process has children of its own.
            H._kill_group(self.proc, signal.SIGTERM)
            H.stop_process(self.proc, signal.SIGTERM, 5.0)
            self.proc = None

    def stop(self) -> None:
        self._stop_process()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def url(self, scheme: str, userinfo: str = "") -> str:
        return f"{scheme}://{userinfo}{H.LOOPBACK}:{self.port}"

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            print(f"===== {self.name} log ({self.log_path}) =====\n{self.log()}")
        elif self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Microsocks(_ProxyProcess):
    """microsocks: SOCKS5 only; logs "client[N] IP: connected to HOST:PORT"
    for every relayed connection."""

    name = "microsocks"

    def __init__(self, user: str | None = None, password: str | None = None, **kw):
        super().__init__(**kw)
        self.user, self.password = user, password

    def argv(self) -> list[str]:
        argv = [MICROSOCKS, "-i", H.LOOPBACK, "-p", str(self.port)]
        if self.user is not None:
            argv += ["-u", self.user, "-P", self.password or ""]
        return argv

    def connections(self) -> list[str]:
        """HOST:PORT of each connection made (read after stop(): the log is
        complete only then)."""
        return [line.split("connected to ", 1)[1].strip()
                for line in self.log().splitlines() if "connected to " in line]


class Danted(_ProxyProcess):
    """Dante in the foreground with a generated config: clients from
    127.0.0.0/8 may connect anywhere with SOCKS4 or SOCKS5, no
    authentication, internal and external address 127.0.0.1.  Its log
    records every relayed connection ("tcp/connect ]: ... -> ...")."""

    name = "danted"

    @property
    def conf_path(self) -> Path:
        return self.dir / "danted.conf"

    @property
    def dante_log(self) -> Path:
        return self.dir / "danted-connections.log"

    def argv(self) -> list[str]:
        users = ""
        if os.geteuid() == 0:
            # As root Dante insists on knowing whom to run as.
            users = "user.privileged: root\nuser.unprivileged: nobody\n"
        self.conf_path.write_text(f"""# generated by tests/integration/socks_support.py
logoutput: {self.dante_log}
internal: {H.LOOPBACK} port = {self.port}
external: {H.LOOPBACK}
clientmethod: none
socksmethod: none
{users}client pass {{
    from: 127.0.0.0/8 to: 0.0.0.0/0
    log: error
}}
socks pass {{
    from: 127.0.0.0/8 to: 0.0.0.0/0
    protocol: tcp
    command: connect
    log: connect error
}}
""")
        return [DANTED, "-f", str(self.conf_path), "-N", "1"]

    def log(self) -> str:
        parts = [super().log()]
        try:
            parts.append(self.dante_log.read_text(errors="replace"))
        except FileNotFoundError:
            pass
        return "\n".join(parts)

    def connections(self) -> list[str]:
        return [line for line in self.log().splitlines() if "tcp/connect" in line]


class ScriptedSocks4a:
    """A SOCKS4/SOCKS4a server in this process (threads): grants every
    CONNECT it can make (host names resolved to IPv4 here), answers 91 when
    the connection fails, then relays bytes both ways until either side
    closes.  Records (user id, host, port) of every request."""

    def __init__(self):
        self.port: int | None = None
        self.requests: list[tuple[str, str, int]] = []
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def url(self, scheme: str = "socks4a", userinfo: str = "") -> str:
        return f"{scheme}://{userinfo}{H.LOOPBACK}:{self.port}"

    def connections(self) -> list[str]:
        with self._lock:
            return [f"{host}:{port}" for _user, host, port in self.requests]

    def __enter__(self) -> "ScriptedSocks4a":
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((H.LOOPBACK, 0))
        self._listener.listen(8)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._start(self._accept_loop)
        return self

    def stop(self) -> None:
        """Stops serving and ends every relay (idempotent)."""
        self._stop.set()
        for t in list(self._threads):
            t.join(timeout=10)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except socket.timeout:
                continue
            self._start(self._serve, conn)

    def _read_until_nul(self, conn: socket.socket, limit: int = 512) -> bytes:
        out = b""
        while not out.endswith(b"\0"):
            b = conn.recv(1)
            if not b or len(out) > limit:
                raise ConnectionError("SOCKS4 request cut short")
            out += b
        return out[:-1]

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                head = b""
                while len(head) < 8:
                    chunk = conn.recv(8 - len(head))
                    if not chunk:
                        return
                    head += chunk
                version, command, port, ip = struct.unpack("!BBH4s", head)
                user = self._read_until_nul(conn).decode(errors="replace")
                if version != 4 or command != 1:
                    conn.sendall(bytes([0, 91, 0, 0, 0, 0, 0, 0]))
                    return
                host = socket.inet_ntoa(ip)
                if ip[:3] == b"\0\0\0" and ip[3] != 0:  # SOCKS4a: the name follows
                    host = self._read_until_nul(conn).decode(errors="replace")
                with self._lock:
                    self.requests.append((user, host, port))
                try:
                    upstream = socket.create_connection((socket.gethostbyname(host), port), 5)
                except OSError:
                    conn.sendall(bytes([0, 91, 0, 0, 0, 0, 0, 0]))
                    return
            except (OSError, ConnectionError):
                return
            with upstream:
                bound_ip, bound_port = upstream.getsockname()[:2]
                conn.sendall(struct.pack("!BBH4s", 0, 90, bound_port, socket.inet_aton(bound_ip)))
                self._relay(conn, upstream)

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.1):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
