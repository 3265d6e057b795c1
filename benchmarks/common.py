"""Shared helpers for benchmarks/run.py: paths, environment, fixtures, nginx,
measured child processes (wall time + CPU from wait4), /proc readers and
small statistics.

Nothing here asserts anything about speed: the benchmarks only measure and
report.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))

import harness as H  # noqa: E402  (NginxRtmp, read_flv, FlvTag, wait_until, ...)

PYTHON = "/usr/bin/python3"          # the interpreter that has PyGObject + Gst
DELAYPROXY = REPO.parent / "shared" / "tools" / "delayproxy.py"
CLK_TCK = os.sysconf("SC_CLK_TCK")
LOOPBACK = H.LOOPBACK

# Bump when a recipe below changes so stale cached media is rebuilt.
FIXTURE_RECIPE = 1


# --------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------

def gst_env(plugin_dir: Path, cache: Path) -> dict:
    """Environment for every GStreamer child: our plugin (the directory that
    holds libgstrtmp.so) first, a private registry, no debug output unless a
    benchmark asks for it."""
    env = dict(os.environ)
    for k in ("GST_DEBUG", "GST_DEBUG_FILE", "GST_TRACERS", "GST_PLUGIN_PATH_1_0"):
        env.pop(k, None)
    env["GST_PLUGIN_PATH"] = str(plugin_dir)
    env["GST_REGISTRY_1_0"] = str(cache / "registry.bin")
    env["GST_DEBUG_NO_COLOR"] = "1"
    return env


def raise_nofile(want: int) -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE towards `want` (never above the hard
    limit); children inherit it.  Returns the (soft, hard) now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# --------------------------------------------------------------------------
# Child processes measured with wait4()
# --------------------------------------------------------------------------

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


def spawn(argv: Sequence[str], *, env: dict | None = None, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL) -> subprocess.Popen:
    """Popen in its own process group, remembered so that kill_children()
    (also run at exit) can stop it."""
    p = subprocess.Popen([str(a) for a in argv], env=env, stdout=stdout, stderr=stderr,
                         stdin=stdin, start_new_session=True)
    with _children_lock:
        _children.add(p)
    return p


def _forget(p: subprocess.Popen) -> None:
    with _children_lock:
        _children.discard(p)


def kill_group(p: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    # Only while p is not reaped: its pid (= its group id) cannot be reused.
    if p.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, sig)


def kill_children() -> None:
    with _children_lock:
        procs = list(_children)
    for p in procs:
        kill_group(p)
        with contextlib.suppress(Exception):
            p.wait(timeout=5)
        _forget(p)


import atexit  # noqa: E402
atexit.register(kill_children)


@dataclass
class Measured:
    argv: list
    returncode: int
    wall: float            # seconds, spawn -> reaped
    cpu_user: float        # seconds (the child and its reaped descendants)
    cpu_sys: float
    maxrss_kb: int
    timed_out: bool = False
    log: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys

    def describe(self) -> str:
        state = "TIMED OUT" if self.timed_out else f"exit {self.returncode}"
        return f"{shlex.join(map(str, self.argv))}\n-> {state}\n{self.log[-3000:]}"


def wait_measured(p: subprocess.Popen, t0: float, timeout: float, log_path: Path | None = None,
                  argv=None) -> Measured:
    """Reap p with wait4() (its rusage is exactly this child's CPU time);
    SIGKILL its group if it runs longer than `timeout` seconds."""
    timed_out = threading.Event()

    def on_timeout():
        timed_out.set()
        kill_group(p)

    timer = threading.Timer(max(0.0, timeout - (time.monotonic() - t0)), on_timeout)
    timer.daemon = True
    timer.start()
    try:
        while True:
            try:
                _pid, status, ru = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                break
            except InterruptedError:
                continue
    finally:
        timer.cancel()
    wall = time.monotonic() - t0
    _forget(p)
    log = ""
    if log_path is not None:
        with contextlib.suppress(OSError):
            log = log_path.read_text(errors="replace")
    return Measured(list(argv if argv is not None else p.args), p.returncode, wall,
                    ru.ru_utime, ru.ru_stime, ru.ru_maxrss, timed_out.is_set(), log)


def run_measured(argv: Sequence[str], *, env: dict, timeout: float,
                 log_path: Path) -> Measured:
    """Run argv to completion; wall time and the child's own CPU time."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        t0 = time.monotonic()
        p = spawn(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    return wait_measured(p, t0, timeout, log_path, argv)


# --------------------------------------------------------------------------
# /proc
# --------------------------------------------------------------------------

def proc_cpu_seconds(pid: int) -> float:
    """utime+stime of a running process (all its threads), from /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid: int | str = "self") -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


# --------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    return f"{min(xs):.2g}..{max(xs):.2g}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# --------------------------------------------------------------------------
# Media fixtures (ffmpeg), cached by recipe
# --------------------------------------------------------------------------

def _ffmpeg_version() -> str:
    out = subprocess.run([H.FFMPEG, "-version"], capture_output=True, text=True,
                         timeout=30).stdout
    return out.splitlines()[0] if out else "unknown"


def _cached(cache: Path, stem: str, recipe: list[str], build) -> Path:
    """Path of a cached file built by build(tmp_path) once per recipe."""
    key = hashlib.sha1(("|".join([str(FIXTURE_RECIPE), _ffmpeg_version(), *recipe]))
                       .encode()).hexdigest()[:12]
    path = cache / f"{stem}-{key}.flv"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = path.with_suffix(f".tmp{os.getpid()}.flv")
            build(tmp)
            os.replace(tmp, path)
    return path


def _ffmpeg(args: list[str], timeout: float = 600) -> None:
    cmd = [H.FFMPEG, "-nostdin", "-v", "error", "-y", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {shlex.join(cmd)}\n{r.stderr}")


def hd_fixture(cache: Path, seconds: int = 60, video_kbps: int = 4400,
               audio_kbps: int = 128) -> Path:
    """720p30 H.264 (libx264 ultrafast, ABR capped at video_kbps, GOP 2 s, no
    B-frames) + 44.1 kHz stereo AAC, as FLV.  ~36 MB for 60 s."""
    recipe = ["hd", str(seconds), str(video_kbps), str(audio_kbps)]

    def build(tmp: Path):
        _ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                 "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                 "-t", str(seconds), "-map", "0:v", "-map", "1:a",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                 "-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k",
                 "-bufsize", f"{2 * video_kbps}k", "-g", "60", "-bf", "0",
                 "-c:a", "aac", "-ac", "2", "-ar", "44100", "-b:a", f"{audio_kbps}k",
                 "-f", "flv", str(tmp)])
    return _cached(cache, f"hd-{seconds}s-{video_kbps}k", recipe, build)


def cut_fixture(cache: Path, src: Path, seconds: int) -> Path:
    """The first `seconds` of src, stream copy (starts at a keyframe)."""
    recipe = ["cut", src.name, str(seconds)]

    def build(tmp: Path):
        _ffmpeg(["-i", str(src), "-t", str(seconds), "-map", "0", "-c", "copy",
                 "-f", "flv", str(tmp)])
    return _cached(cache, f"{src.stem}-first{seconds}s", recipe, build)


def tiny_fixture(cache: Path, seconds: int = 4) -> Path:
    """A low-bitrate stream for the scale test: 160x120 10 fps H.264 (~48
    kbit/s, keyframe every 2 s, so the loop point is a keyframe) + mono 22.05
    kHz AAC 32 kbit/s."""
    recipe = ["tiny", str(seconds)]

    def build(tmp: Path):
        _ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10",
                 "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
                 "-t", str(seconds), "-map", "0:v", "-map", "1:a",
                 "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                 "-b:v", "48k", "-maxrate", "48k", "-bufsize", "96k", "-g", "20", "-bf", "0",
                 "-c:a", "aac", "-ac", "1", "-ar", "22050", "-b:a", "32k",
                 "-f", "flv", str(tmp)])
    return _cached(cache, f"tiny-{seconds}s", recipe, build)


# --------------------------------------------------------------------------
# nginx-rtmp for benchmarks
# --------------------------------------------------------------------------

class BenchNginx(H.NginxRtmp):
    """harness.NginxRtmp with a benchmark configuration: `live` without
    recording, `vod` playing files from DIR/vod, many connections allowed,
    warnings-only log (no per-connection info lines)."""

    def __init__(self, worker_connections: int = 4096, ack_window: int | None = None, **kw):
        super().__init__(log_level="warn", **kw)
        self.worker_connections = worker_connections
        self.ack_window = ack_window

    @property
    def vod_dir(self) -> Path:
        return self.dir / "vod"

    def start(self):
        super().start()
        self.vod_dir.mkdir(exist_ok=True)
        return self

    def _config(self) -> str:
        d = str(self.dir)
        return f"""# generated by benchmarks/common.py
load_module {H.RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
error_log {d}/error.log {self.log_level};
pid {d}/nginx.pid;

events {{
    worker_connections {self.worker_connections};
}}

http {{
    access_log off;
    client_body_temp_path {d}/tmp/client_body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {{
        listen {LOOPBACK}:{self.http_port};
        location /stat {{ rtmp_stat all; }}
        location /control {{ rtmp_control all; }}
    }}
}}

rtmp {{
    server {{
        listen {LOOPBACK}:{self.port};
        chunk_size 4096;
        out_queue {self.out_queue};
        {"" if self.ack_window is None else f"ack_window {self.ack_window};"}
        application live {{
            live on;
        }}
        application vod {{
            play {d}/vod;
        }}
    }}
}}
"""

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def publisher_count(self, app: str = "live") -> int:
        n = 0
        for a in self.stat().iter("application"):
            if a.findtext("name") != app:
                continue
            for s in a.iter("stream"):
                n += sum(1 for c in s.findall("client") if c.find("publishing") is not None)
        return n


class DelayProxy:
    """../shared/tools/delayproxy.py LISTEN TARGET DELAY_MS as a context manager."""

    def __init__(self, target_port: int, delay_ms: int, log_path: Path):
        self.target_port = target_port
        self.delay_ms = delay_ms
        self.log_path = log_path
        self.port = None
        self.proc = None

    def __enter__(self):
        for _ in range(5):
            self.port = H.free_port()
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "wb") as log:
                self.proc = spawn([PYTHON, DELAYPROXY, self.port, self.target_port,
                                   self.delay_ms], stdout=log, stderr=subprocess.STDOUT)
            try:
                H.wait_until(lambda: H.port_listening(self.port) or self.proc.poll() is not None,
                             10, what="delayproxy to listen")
            except TimeoutError:
                pass
            if self.proc.poll() is None and H.port_listening(self.port):
                return self
            self._stop()
        raise RuntimeError(f"delayproxy did not start: {self.log_path.read_text()}")

    def _stop(self):
        if self.proc is not None:
            kill_group(self.proc, signal.SIGTERM)
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
            kill_group(self.proc)
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
            _forget(self.proc)
            self.proc = None

    def __exit__(self, *exc):
        self._stop()
