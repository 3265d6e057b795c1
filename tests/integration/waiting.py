"""Integration-test harness: bounded waits (a condition, a file that stopped
growing)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable


def wait_until(pred: Callable[[], object], timeout: float, interval: float = 0.05,
               what: str = "condition"):
    """Poll pred() until it returns a truthy value; return it or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def wait_file_stable(path: Path, stable_for: float = 0.5, timeout: float = 30.0,
                     min_size: int = 1) -> Path:
    """Wait until path exists, has >= min_size bytes and (size, mtime) did not
    change for stable_for seconds."""
    path = Path(path)
    deadline = time.monotonic() + timeout
    last = None
    since = time.monotonic()
    while True:
        try:
            st = path.stat()
            cur = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            cur = None
        now = time.monotonic()
        if cur != last:
            last, since = cur, now
        elif cur is not None and cur[0] >= min_size and now - since >= stable_for:
            return path
        if now >= deadline:
            raise TimeoutError(f"{path}: not stable after {timeout:.1f}s (last state {last})")
        time.sleep(0.05)
