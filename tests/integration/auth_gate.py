"""An RTMP front that demands Adobe authentication (authmod=adobe), then relays to nginx-rtmp.

nginx-rtmp asks for no credentials, so a line with `username=`/`password=` would not exercise
them against it alone.  This gate answers each client's `connect` the way Adobe Media Server
does (and as tests/session/test_auth_session.cpp's scripted server does):

  connect without authmod in the app          -> _error "[ AccessManager.Reject ] : [ code=403
                                                 need auth; authmod=adobe ] : "
  connect with ?authmod=adobe&user=U           -> _error "... : ?reason=needauth&user=U&salt=S
                                                 &challenge=C&opaque=C" (new S, C each time)
  connect with ...&challenge=C2&response=R     -> R must be
         &opaque=C                               b64(md5(b64(md5(U + S + password)) + C + C2))
                                                 for a (S, C) this gate issued: then the
                                                 connection is passed on to the upstream
                                                 server (the gate makes its own handshake with
                                                 it and forwards the client's bytes from its
                                                 first chunk on); else "?reason=authfailed"

Python standard library only; one thread per connection; 127.0.0.1 only.

    with AdobeAuthGate(nginx.port, "alice", "secret") as gate:
        url = f"rtmp://127.0.0.1:{gate.port}/live/stream"
        ...
        gate.events   # [("need-auth"|"challenge"|"accepted"|"refused", app), ...]
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import struct
import threading

LOOPBACK = "127.0.0.1"
HANDSHAKE_SIZE = 1536


def _b64md5(text: str) -> str:
    return base64.b64encode(hashlib.md5(text.encode()).digest()).decode()


def adobe_response(user: str, password: str, salt: str, challenge: str, client_challenge: str
                   ) -> str:
    return _b64md5(_b64md5(user + salt + password) + challenge + client_challenge)


# -- AMF0 (what connect and _error need) ---------------------------------------------------

def _amf_read(data: bytes, pos: int):
    marker = data[pos]
    pos += 1
    if marker == 0x00:
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    if marker == 0x01:
        return data[pos] != 0, pos + 1
    if marker == 0x02:
        n = struct.unpack_from(">H", data, pos)[0]
        return data[pos + 2:pos + 2 + n].decode(errors="replace"), pos + 2 + n
    if marker == 0x0C:
        n = struct.unpack_from(">I", data, pos)[0]
        return data[pos + 4:pos + 4 + n].decode(errors="replace"), pos + 4 + n
    if marker in (0x05, 0x06):
        return None, pos
    if marker in (0x03, 0x08):
        if marker == 0x08:
            pos += 4
        obj = {}
        while True:
            n = struct.unpack_from(">H", data, pos)[0]
            key = data[pos + 2:pos + 2 + n].decode(errors="replace")
            pos += 2 + n
            if data[pos] == 0x09:
                return obj, pos + 1
            obj[key], pos = _amf_read(data, pos)
    if marker == 0x0A:
        n = struct.unpack_from(">I", data, pos)[0]
        pos += 4
        items = []
        for _ in range(n):
            item, pos = _amf_read(data, pos)
            items.append(item)
        return items, pos
    raise ValueError(f"AMF0 marker {marker:#x} not supported")


def _amf_string(s: str) -> bytes:
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def _amf_object(obj: dict[str, str]) -> bytes:
    out = b"\x03"
    for k, v in obj.items():
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + _amf_string(v)
    return out + b"\x00\x00\x09"


# -- one client connection -----------------------------------------------------------------

class _Client:
    def __init__(self, gate: "AdobeAuthGate", conn: socket.socket):
        self.gate = gate
        self.conn = conn
        self.raw = bytearray()        # everything received after the handshake
        self.pending = bytearray()    # received, not yet parsed
        self.chunk_size = 128
        self.streams: dict[int, dict] = {}

    def recv_exact(self, n: int) -> bytes:
        while len(self.pending) < n:
            data = self.conn.recv(65536)
            if not data:
                raise ConnectionError("client closed")
            self.pending += data
            self.raw += data
        out = bytes(self.pending[:n])
        del self.pending[:n]
        return out

    def handshake(self) -> None:
        c0c1 = self.recv_exact(1 + HANDSHAKE_SIZE)
        s1 = struct.pack(">II", 0, 0) + os.urandom(HANDSHAKE_SIZE - 8)
        self.conn.sendall(b"\x03" + s1 + c0c1[1:])
        self.recv_exact(HANDSHAKE_SIZE)  # C2
        self.raw = bytearray(self.pending)  # what follows the handshake is relayed verbatim

    def read_message(self) -> tuple[int, bytes]:
        while True:
            b0 = self.recv_exact(1)[0]
            fmt, csid = b0 >> 6, b0 & 0x3F
            if csid == 0:
                csid = 64 + self.recv_exact(1)[0]
            elif csid == 1:
                b = self.recv_exact(2)
                csid = 64 + b[0] + b[1] * 256
            st = self.streams.setdefault(csid, {"len": 0, "type": 0, "ext": False,
                                                "buf": bytearray()})
            if fmt <= 2:
                h = self.recv_exact((11, 7, 3)[fmt])
                st["ext"] = h[0:3] == b"\xff\xff\xff"
                if fmt <= 1:
                    st["len"] = int.from_bytes(h[3:6], "big")
                    st["type"] = h[6]
            if st["ext"]:
                self.recv_exact(4)
            want = min(self.chunk_size, st["len"] - len(st["buf"]))
            st["buf"] += self.recv_exact(want)
            if len(st["buf"]) >= st["len"]:
                payload = bytes(st["buf"])
                st["buf"] = bytearray()
                if st["type"] == 1 and len(payload) >= 4:  # Set Chunk Size
                    self.chunk_size = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
                return st["type"], payload

    def read_connect(self) -> tuple[float, dict]:
        while True:
            mtype, payload = self.read_message()
            if mtype != 20:
                continue
            name, pos = _amf_read(payload, 0)
            txid, pos = _amf_read(payload, pos)
            if name != "connect":
                raise ConnectionError(f"first command {name!r}, not connect")
            obj, _ = _amf_read(payload, pos)
            return txid, obj

    def reject(self, txid: float, description: str) -> None:
        payload = (_amf_string("_error") + b"\x00" + struct.pack(">d", txid) + b"\x05" +
                   _amf_object({"level": "error", "code": "NetConnection.Connect.Rejected",
                                "description": description}))
        out = bytearray(b"\x03" + b"\x00\x00\x00" + len(payload).to_bytes(3, "big") + b"\x14" +
                        b"\x00\x00\x00\x00")
        for i in range(0, len(payload), 128):
            if i:
                out += b"\xc3"
            out += payload[i:i + 128]
        self.conn.sendall(out)
        self.conn.settimeout(2)
        try:
            while self.conn.recv(65536):
                pass
        except OSError:
            pass

    def serve(self) -> None:
        with self.conn:
            try:
                self.conn.settimeout(10)
                self.handshake()
                txid, obj = self.read_connect()
            except (OSError, ConnectionError, ValueError, IndexError, struct.error):
                return
            app = str(obj.get("app", ""))
            if self.gate.check(app, lambda text: self.reject(txid, text)):
                self.relay()

    def relay(self) -> None:
        gate = self.gate
        try:
            up = socket.create_connection((LOOPBACK, gate.upstream_port), timeout=10)
        except OSError:
            return
        with up:
            c1 = struct.pack(">II", 0, 0) + os.urandom(HANDSHAKE_SIZE - 8)
            up.sendall(b"\x03" + c1)
            answer = b""
            while len(answer) < 1 + 2 * HANDSHAKE_SIZE:
                data = up.recv(65536)
                if not data:
                    return
                answer += data
            up.sendall(answer[1:1 + HANDSHAKE_SIZE])          # C2 = S1
            extra = answer[1 + 2 * HANDSHAKE_SIZE:]            # nginx may already have spoken
            if extra:
                self.conn.sendall(extra)
            up.sendall(bytes(self.raw))
            up.settimeout(None)
            self.conn.settimeout(None)

            def pump(src: socket.socket, dst: socket.socket) -> None:
                try:
                    while True:
                        data = src.recv(65536)
                        if not data:
                            break
                        dst.sendall(data)
                except OSError:
                    pass
                for s in (dst, src):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

            t = threading.Thread(target=pump, args=(up, self.conn), daemon=True)
            t.start()
            pump(self.conn, up)
            t.join(timeout=10)


class AdobeAuthGate:
    def __init__(self, upstream_port: int, user: str, password: str):
        self.upstream_port = upstream_port
        self.user, self.password = user, password
        self.events: list[tuple[str, str]] = []
        self._issued: dict[str, str] = {}  # challenge -> salt
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(8)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def _event(self, what: str, app: str) -> None:
        with self._lock:
            self.events.append((what, app))

    def check(self, app: str, reject) -> bool:
        """True when the connect in `app` is authenticated; else reject(description) is called."""
        head = "[ AccessManager.Reject ] : [ authmod=adobe ] : "
        # Taken as sent, not URL-decoded: a base64 response may hold '+' (as a real server does).
        query = dict(pair.partition("=")[::2] for pair in app.partition("?")[2].split("&")
                     if pair)
        if query.get("authmod") != "adobe":
            self._event("need-auth", app)
            reject("[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ")
            return False
        if "response" not in query:
            salt, challenge = secrets.token_hex(6), secrets.token_hex(6)
            with self._lock:
                self._issued[challenge] = salt
            self._event("challenge", app)
            reject(f"{head}?reason=needauth&user={query.get('user', '')}&salt={salt}"
                   f"&challenge={challenge}&opaque={challenge}")
            return False
        with self._lock:
            salt = self._issued.get(query.get("opaque", ""))
        ok = (salt is not None and query.get("user") == self.user and
              query["response"] == adobe_response(self.user, self.password, salt,
                                                  query["opaque"], query.get("challenge", "")))
        if not ok:
            self._event("refused", app)
            reject(f"{head}?reason=authfailed&opaque={secrets.token_hex(6)}")
            return False
        self._event("accepted", app)
        return True

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=_Client(self, conn).serve, daemon=True)
            self._threads.append(t)
            t.start()

    def __enter__(self) -> "AdobeAuthGate":
        t = threading.Thread(target=self._accept_loop, daemon=True)
        self._threads.append(t)
        t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in list(self._threads):
            t.join(timeout=10)
        self._listener.close()

    def __exit__(self, *exc) -> None:
        self.stop()
