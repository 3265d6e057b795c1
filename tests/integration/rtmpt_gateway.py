"""A small RTMPT server for the tests: HTTP (or HTTPS) in front, RTMP to an
upstream server behind, Python standard library only.

It speaks the tunnel the way FMS and Red5 do (see src/rtmp/rtmpt_codec.hpp):

  POST /fcs/ident2              -> 404 (as FMS answers it)
  POST /open/1                  -> 200, body "<session id>\\n"; opens a TCP
                                   connection to the upstream RTMP server
  POST /send/<id>/<seq>         -> the body goes upstream; 200, body = one
                                   polling-interval byte + what the upstream
                                   sent meanwhile
  POST /idle/<id>/<seq>         -> 200, the same body without sending
  POST /close/<id>/<seq>        -> 200, body 0x00; closes the upstream side

Checks what a client sends: POST, Content-Type application/x-fcs, a
Content-Length body, and <seq> counting 0, 1, 2, ... per session (a gap or a
repeat is answered 400 and recorded in `problems`).  The polling byte
follows Red5: 0x01 after data, then 0x03, 0x05, 0x09, 0x11, 0x21, one step
after every 10 empty answers.

When the upstream closed and everything it sent was delivered, the next
request gets no answer: the gateway closes the HTTP connection (as a server
whose RTMP side went away).  Faults for tests: `open_status` (answer /open/1
with that status), `drop_after_bytes` (close the HTTP connection abruptly
once that many tunnelled client bytes went upstream).

    with RtmptGateway(upstream_port=nginx.port) as gw:      # or tls=(cert, key)
        url = f"rtmpt://127.0.0.1:{gw.port}/live/stream"

Run as a script for manual use:
    python3 rtmpt_gateway.py --port 8080 --upstream 127.0.0.1:1935 [--tls CERT KEY]
"""

from __future__ import annotations

import argparse
import http.server
import secrets
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

LOOPBACK = "127.0.0.1"
_HINT_STEPS = (0x01, 0x03, 0x05, 0x09, 0x11, 0x21)


def make_self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost made with the openssl CLI;
    returns (cert, key).  The certificate is its own CA (tls-ca-file)."""
    cert, key = directory / "gateway-cert.pem", directory / "gateway-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class TunnelSession:
    """One RTMPT session: its upstream connection and what it received."""

    def __init__(self, sid: str, upstream: tuple[str, int]):
        self.sid = sid
        self.sock = socket.create_connection(upstream, timeout=10)
        self.sock.settimeout(None)
        self.lock = threading.Lock()
        self.buffer = bytearray()
        self.upstream_closed = False
        self.next_seq = 0
        self.empty_answers = 0
        self.hint_step = 0
        self.bytes_up = 0
        self.reader = threading.Thread(target=self._read_upstream, daemon=True)
        self.reader.start()

    def _read_upstream(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.lock:
                if not data:
                    self.upstream_closed = True
                    return
                self.buffer += data

    def send_upstream(self, data: bytes) -> None:
        if data:
            self.sock.sendall(data)
            self.bytes_up += len(data)

    def take(self) -> tuple[bytes, bool]:
        """(what the upstream sent since the last call, upstream gone and all delivered)."""
        with self.lock:
            data = bytes(self.buffer)
            self.buffer.clear()
            return data, self.upstream_closed and not data

    def hint(self, had_data: bool) -> int:
        if had_data:
            self.empty_answers, self.hint_step = 0, 0
        else:
            self.empty_answers += 1
            if self.empty_answers % 10 == 0:
                self.hint_step = min(self.hint_step + 1, len(_HINT_STEPS) - 1)
        return _HINT_STEPS[self.hint_step]

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, fmt, *args) -> None:  # quiet
        pass

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-fcs")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "Keep-Alive")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _drop(self) -> None:
        """End the HTTP connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self) -> None:
        self.server.gateway.record(self, "GET", b"")
        self._answer(405)

    def do_POST(self) -> None:
        gw = self.server.gateway
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            gw.problem(f"{self.path}: no usable Content-Length")
            return self._answer(411)
        body = self.rfile.read(length)
        gw.record(self, "POST", body)
        if self.headers.get("Content-Type") != "application/x-fcs":
            gw.problem(f"{self.path}: Content-Type {self.headers.get('Content-Type')!r}")
            return self._answer(400)
        parts = self.path.split("/")
        if self.path == "/fcs/ident2":
            return self._answer(404)
        if self.path == "/open/1":
            if gw.open_status != 200:
                return self._answer(gw.open_status, b"no tunnel for you\n")
            session = gw.open_session()
            return self._answer(200, session.sid.encode() + b"\n")
        if len(parts) != 4 or parts[1] not in ("send", "idle", "close"):
            return self._answer(404)
        self._tunnel(parts[1], parts[2], parts[3], body)

    def _tunnel(self, command: str, sid: str, seq: str, body: bytes) -> None:
        gw = self.server.gateway
        session = gw.sessions.get(sid)
        if session is None:
            return self._answer(404)
        if seq != str(session.next_seq):
            gw.problem(f"/{command}/{sid}/{seq}: expected sequence number {session.next_seq}")
            return self._answer(400)
        session.next_seq += 1
        if command == "close":
            gw.close_session(sid)
            return self._answer(200, b"\x00")
        if command == "send":
            try:
                session.send_upstream(body)
            except OSError:
                pass
            if gw.drop_after_bytes is not None and session.bytes_up >= gw.drop_after_bytes:
                gw.dropped.set()
                gw.close_session(sid)
                return self._drop()
        elif body != b"\x00":
            gw.problem(f"/idle body {body!r}")
        data, gone = session.take()
        if gone:
            return self._drop()
        self._answer(200, bytes([session.hint(bool(data))]) + data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    gateway: "RtmptGateway"

    def handle_error(self, request, client_address) -> None:
        # A client refusing the certificate or dropping the connection is not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class RtmptGateway:
    def __init__(self, upstream_port: int, *, upstream_host: str = LOOPBACK, port: int = 0,
                 tls: tuple[Path, Path] | None = None, open_status: int = 200,
                 drop_after_bytes: int | None = None):
        self.upstream = (upstream_host, upstream_port)
        self.open_status = open_status
        self.drop_after_bytes = drop_after_bytes
        self.dropped = threading.Event()
        self.sessions: dict[str, TunnelSession] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, body length)
        self.problems: list[str] = []
        self.closed_sessions = 0
        self._lock = threading.Lock()
        self._server = _Server((LOOPBACK, port), _Handler)
        self._server.gateway = self
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            # The handshake runs in the connection's thread, not in accept().
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "RtmptGateway":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for sid in list(self.sessions):
            self.close_session(sid)

    def __enter__(self) -> "RtmptGateway":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def record(self, handler: _Handler, method: str, body: bytes) -> None:
        with self._lock:
            self.requests.append((method, handler.path, len(body)))

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def open_session(self) -> TunnelSession:
        sid = secrets.token_hex(8)
        session = TunnelSession(sid, self.upstream)
        with self._lock:
            self.sessions[sid] = session
        return session

    def close_session(self, sid: str) -> None:
        with self._lock:
            session = self.sessions.pop(sid, None)
            if session is not None:
                self.closed_sessions += 1
        if session is not None:
            session.close()

    def commands(self) -> list[str]:
        """The command of every request so far ("open", "send", "idle", "close", ...)."""
        with self._lock:
            return [p.split("/")[1] if p.count("/") >= 2 else p for _, p, _ in self.requests]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", default=f"{LOOPBACK}:1935", help="host:port of the RTMP server")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    host, _, port = args.upstream.rpartition(":")
    tls = (Path(args.tls[0]), Path(args.tls[1])) if args.tls else None
    gw = RtmptGateway(int(port), upstream_host=host, port=args.port, tls=tls).start()
    print(f"RTMPT gateway on {LOOPBACK}:{gw.port} -> {args.upstream}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        gw.stop()


if __name__ == "__main__":
    main()
