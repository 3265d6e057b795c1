"""Integration-test harness: TCP ports on loopback (free ports, whether one
accepts or listens)."""

from __future__ import annotations

import socket
from pathlib import Path

from external_tools import LOOPBACK


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (bind port 0 and release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def port_accepts(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether some socket is in LISTEN state on host:port (IPv4), read from
    /proc/net/tcp.  Unlike port_accepts() this does not connect, so it does
    not use up a one-shot server such as `ffmpeg -listen 1`."""
    want = f"{int.from_bytes(socket.inet_aton(host), 'little'):08X}:{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        cols = line.split()
        if len(cols) > 3 and cols[3] == "0A" and cols[1] in (want, f"00000000:{port:04X}"):
            return True
    return False
