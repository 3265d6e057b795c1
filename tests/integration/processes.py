"""Integration-test harness: subprocesses that never outlive the test run
(bookkeeping, BackgroundProcess, gst-launch-1.0, ffmpeg as an RTMP subscriber).

Every subprocess started here is put in its own session (process group) and
registered in a module-level table; context managers stop them on exit and an
atexit hook kills whatever is still registered, so no process outlives the
test run, also when a test fails or raises."""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Sequence

from external_tools import FFMPEG, GST_INSPECT, GST_LAUNCH
from waiting import wait_file_stable

if TYPE_CHECKING:
    from nginx import NginxRtmp


# --------------------------------------------------------------------------
# Process bookkeeping: nothing may outlive the test run
# --------------------------------------------------------------------------

_live_procs: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


def _spawn(argv: Sequence[str], **kw) -> subprocess.Popen:
    """Popen in a new session (own process group) and register it."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    # Sanitizer builds: GStreamer processes run with LeakSanitizer on (the test interpreter
    # itself does not: its own allocations at exit are not ours to judge).
    gst_asan = os.environ.get("RTMP_TEST_GST_ASAN_OPTIONS")
    if gst_asan and Path(argv[0]).name.startswith("gst-"):
        env = dict(kw.get("env") or os.environ)
        env["ASAN_OPTIONS"] = gst_asan
        kw["env"] = env
    proc = subprocess.Popen(list(argv), start_new_session=True, **kw)
    with _live_lock:
        _live_procs.add(proc)
    return proc


def _forget(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live_procs.discard(proc)


def _kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the whole process group of proc (it is its own group leader).

    Only while proc has not been reaped: until then its pid (= the group id)
    cannot be reused, so this never signals somebody else's processes."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _reap(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait up to timeout for proc to exit; True if it did (and is reaped)."""
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def stop_process(proc: subprocess.Popen, first_signal: int = signal.SIGTERM,
                 grace: float = 5.0) -> int:
    """Send first_signal, wait grace seconds, then SIGKILL the group; reap."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(first_signal)
        if not _reap(proc, grace):
            _kill_group(proc, signal.SIGKILL)
            proc.wait()
    _forget(proc)
    return proc.returncode


@atexit.register
def _kill_everything() -> None:
    with _live_lock:
        procs = list(_live_procs)
    for proc in procs:
        if proc.poll() is None:
            _kill_group(proc, signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
        _forget(proc)



# --------------------------------------------------------------------------
# Background processes (players, servers) with a log file
# --------------------------------------------------------------------------

class BackgroundProcess:
    """A program running while the test does something else, as a context
    manager; stdout and stderr go to `log_path`.

        with BackgroundProcess([GST_LAUNCH, "rtmpsrc", ...], tmp / "player.log") as p:
            ...
            rc = p.wait(30)          # TimeoutError if still running (not killed)

    On exit the process group is stopped (SIGTERM, then SIGKILL after `grace`
    seconds) if it is still running, and the log is printed when the block
    raised."""

    def __init__(self, argv: Sequence[str], log_path: str | os.PathLike, *,
                 env: dict | None = None, grace: float = 3.0):
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.env = env
        self.grace = grace
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None

    def start(self) -> "BackgroundProcess":
        full_env = dict(os.environ)
        full_env.setdefault("GST_DEBUG_NO_COLOR", "1")
        if self.env:
            full_env.update(self.env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = _spawn(self.argv, stdout=log, stderr=subprocess.STDOUT, env=full_env)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; raise TimeoutError if it
        does not within `timeout` seconds (it keeps running)."""
        if self.proc is None:
            return self.returncode
        if not _reap(self.proc, timeout):
            raise TimeoutError(f"{shlex.join(self.argv)} still running after {timeout:.1f}s\n"
                               f"--- log ---\n{self.log()}")
        self.returncode = self.proc.returncode
        _forget(self.proc)
        self.proc = None
        return self.returncode

    def stop(self, first_signal: int = signal.SIGTERM) -> int | None:
        if self.proc is not None:
            self.returncode = stop_process(self.proc, first_signal, self.grace)
            self.proc = None
        return self.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> "BackgroundProcess":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            print(f"===== log of {shlex.join(self.argv)} ({self.log_path}) =====\n{self.log()}\n"
                  f"===== end of log =====", file=sys.stderr)



# --------------------------------------------------------------------------
# gst-launch-1.0
# --------------------------------------------------------------------------

class GstResult(NamedTuple):
    returncode: int      # -9 (SIGKILL) when the hard timeout hit
    stdout: str
    stderr: str
    timed_out: bool = False
    argv: tuple = ()

    def describe(self) -> str:
        state = "TIMED OUT (killed)" if self.timed_out else f"exit code {self.returncode}"
        return (f"{shlex.join(self.argv)}\n-> {state}\n--- stdout ---\n{self.stdout}"
                f"\n--- stderr ---\n{self.stderr}")


def gst_launch(pipeline: str, timeout: float = 120.0, *, env: dict | None = None,
               extra_args: Sequence[str] = ()) -> GstResult:
    """Run `gst-launch-1.0 -e PIPELINE` with a hard timeout; never hangs.

    The pipeline string is split with shlex (so quote paths with spaces);
    gst-launch joins argv back together.  On timeout the whole process group
    is SIGKILLed and the result has timed_out=True."""
    argv = (GST_LAUNCH, "-e", *extra_args, *shlex.split(pipeline))
    full_env = dict(os.environ)
    full_env.setdefault("GST_DEBUG_NO_COLOR", "1")
    if env:
        full_env.update(env)
    proc = _spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc, signal.SIGKILL)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out, err = b"", b"(output lost: pipes still open after SIGKILL)"
    finally:
        if proc.poll() is None:
            _kill_group(proc, signal.SIGKILL)
            proc.wait()
        _forget(proc)
    return GstResult(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
                     timed_out, tuple(argv))


def gst_element_exists(name: str, timeout: float = 120.0) -> bool:
    """gst-inspect-1.0 NAME (also builds/refreshes the registry once)."""
    r = subprocess.run([GST_INSPECT, name], capture_output=True, timeout=timeout)
    return r.returncode == 0



# --------------------------------------------------------------------------
# ffmpeg as an independent RTMP subscriber
# --------------------------------------------------------------------------

class FfmpegSubscriber:
    """`ffmpeg -copyts -i URL -map 0 -c copy -f flv OUT` as a live subscriber.

        with FfmpegSubscriber(ng.url("live", name), out, server=ng) as sub:
            ...publish...
            sub.finish()        # waits for the data to settle, then stops

    Start it before publishing: wait_ready() waits until nginx lists it as a
    player (needs `server`, an NginxRtmp; without it, it just waits 1 s).

    Stopping: ffmpeg's RTMP client does not end when the publisher leaves
    (nginx sends UnpublishNotify/StreamEOF, ffmpeg keeps waiting), and while
    it blocks in a socket read neither 'q' on stdin nor one SIGINT is acted
    upon; a second SIGINT interrupts the read but also aborts the output
    (trailer not written, packets still held for interleaving are lost).
    The clean way is to close the connection from the server side: with
    `server` given, stop() asks nginx (/control/drop/subscriber) to drop the
    players of this stream; ffmpeg then sees EOF and finishes the file
    properly.  Fallback without a server (or if that fails): 'q', SIGINT,
    SIGINT, SIGKILL.  -flush_packets 1 makes the output grow as data arrives,
    so progress is observable via the file size.
    """

    def __init__(self, url: str, out_path: str | os.PathLike, *, server: NginxRtmp | None = None,
                 extra_input_args: Sequence[str] = (), extra_output_args: Sequence[str] = ()):
        self.url = url
        self.out_path = Path(out_path)
        self.log_path = self.out_path.with_suffix(self.out_path.suffix + ".log")
        self.server = server
        parts = urllib.parse.urlparse(url).path.lstrip("/").split("/", 1)
        self.app, self.stream = (parts + [""])[:2]
        self.cmd = [FFMPEG, "-hide_banner", "-nostats", "-loglevel", "verbose", "-copyts",
                    *extra_input_args, "-i", url, "-map", "0", "-c", "copy",
                    "-flush_packets", "1", *extra_output_args, "-f", "flv", "-y",
                    str(self.out_path)]
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None

    def start(self) -> "FfmpegSubscriber":
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = _spawn(self.cmd, stdin=subprocess.PIPE, stdout=log,
                               stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        if self.server is not None:
            self.server.wait_player(self.app, self.stream, timeout)
        else:
            time.sleep(1.0)
        if self.proc.poll() is not None:
            raise RuntimeError(f"ffmpeg subscriber exited early ({self.proc.returncode}):\n"
                               f"{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_idle(self, quiet: float = 1.0, timeout: float = 30.0) -> None:
        """Wait until the output file stopped growing for `quiet` seconds."""
        wait_file_stable(self.out_path, stable_for=quiet, timeout=timeout, min_size=0)

    def stop(self, timeout: float = 15.0) -> int:
        proc = self.proc
        if proc is None:
            return self.returncode if self.returncode is not None else -1
        if proc.poll() is None and self.server is not None and self.server.proc is not None:
            with contextlib.suppress(Exception):
                self.server.drop_subscribers(self.app, self.stream)
            _reap(proc, timeout)
        if proc.poll() is None:
            with contextlib.suppress(Exception):
                proc.stdin.write(b"q")
                proc.stdin.flush()
            if not _reap(proc, 2.0):
                for _ in range(2):
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGINT)
                    if _reap(proc, 3.0):
                        break
        with contextlib.suppress(Exception):
            proc.stdin.close()
        self.returncode = stop_process(proc, signal.SIGKILL, 1.0)
        self.proc = None
        return self.returncode

    def finish(self, quiet: float = 1.0, timeout: float = 30.0) -> int:
        """wait_idle() then stop(); returns ffmpeg's exit code."""
        self.wait_idle(quiet, timeout)
        return self.stop()

    def __enter__(self) -> "FfmpegSubscriber":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            print(f"===== ffmpeg subscriber log ({self.log_path}) =====\n{self.log()}\n"
                  f"===== end of ffmpeg subscriber log =====", file=sys.stderr)
