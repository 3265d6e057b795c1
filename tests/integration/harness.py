"""Integration-test harness: real RTMP peers on loopback.

Everything here drives *independent* programs (nginx + nginx-rtmp-module,
ffmpeg/ffprobe, gst-launch-1.0) as subprocesses and inspects the files they
write.  Nothing in here links against or imports the plugin under test.

Environment variables understood:

  RTMP_TEST_SINK   element under test (default "rtmpsink"); set it to
                   "rtmp2sink" to validate the harness against GStreamer's
                   own RTMP sink.
  RTMP_TEST_CACHE  directory for cached media fixtures (default: a
                   directory in the system temp dir).
  RTMP_PLUGIN_FILE expected path of our plugin .so (used by the factory test).

Every subprocess started here is put in its own session (process group) and
registered in a module-level table; context managers stop them on exit and an
atexit hook kills whatever is still registered, so no process outlives the
test run, also when a test fails or raises.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Sequence

# --------------------------------------------------------------------------
# Tools and configuration
# --------------------------------------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
GST_LAUNCH = shutil.which("gst-launch-1.0") or "/usr/bin/gst-launch-1.0"
GST_INSPECT = shutil.which("gst-inspect-1.0") or "/usr/bin/gst-inspect-1.0"

SINK = os.environ.get("RTMP_TEST_SINK", "rtmpsink")

LOOPBACK = "127.0.0.1"

# FLV tag types.
TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18


def missing_tools() -> list[str]:
    """Names of required external tools that are not installed."""
    missing = [p for p in (NGINX, FFMPEG, FFPROBE, GST_LAUNCH) if not os.access(p, os.X_OK)]
    if not os.path.exists(RTMP_MODULE):
        missing.append(RTMP_MODULE)
    return missing


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
# Small utilities
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# nginx + nginx-rtmp-module
# --------------------------------------------------------------------------

class NginxRtmp:
    """A private nginx-rtmp server on 127.0.0.1, as a context manager.

        with NginxRtmp() as ng:
            url = ng.url("live", "test")        # rtmp://127.0.0.1:PORT/live/test
            ...publish...
            rec = ng.wait_recorded("test")      # finalised recording

    Generated config: single process (master_process off, so nothing drops
    privileges and the 0700 temp dir stays writable), all paths inside the
    work dir, application `live` with `live on; record all; record_unique off`.
    `extra_apps` is appended verbatim inside the rtmp server block (token
    @DIR@ is replaced by the work dir), e.g.

        application closed { live on; deny publish all; }
        application vod    { play @DIR@/vod; }

    `workdir`: where config, logs and recordings go (e.g. pytest's tmp_path);
    default is a fresh temp dir, removed on a clean exit and kept (its path
    is printed with the dumped error log) when the block raised.

    An http server on a second free port serves nginx-rtmp's /stat (XML) and
    /control endpoints; the harness uses them to wait for players/publishers
    and to drop subscribers (the only way to make an ffmpeg RTMP subscriber
    end cleanly, see FfmpegSubscriber).

    `out_queue` is raised from nginx's default (256) to 4096 messages: with a
    publisher faster than real time (plain filesrc) the live module would
    otherwise silently drop frames for the subscriber when its queue fills.
    """

    def __init__(self, extra_apps: str = "", *, live_extra: str = "",
                 workdir: str | os.PathLike | None = None, out_queue: int = 4096,
                 startup_timeout: float = 15.0, log_level: str = "info"):
        self.extra_apps = extra_apps
        self.live_extra = live_extra
        self.out_queue = out_queue
        self.startup_timeout = startup_timeout
        self.log_level = log_level
        self._own_dir = workdir is None
        self.dir = Path(workdir) if workdir is not None else None
        self.port: int | None = None
        self.http_port: int | None = None
        self.proc: subprocess.Popen | None = None

    # -- paths -------------------------------------------------------------
    @property
    def conf_path(self) -> Path:
        return self.dir / "nginx.conf"

    @property
    def error_log(self) -> Path:
        return self.dir / "error.log"

    @property
    def rec_dir(self) -> Path:
        return self.dir / "rec"

    def url(self, app: str = "live", stream: str = "test") -> str:
        return f"rtmp://{LOOPBACK}:{self.port}/{app}/{stream}"

    def recorded(self, stream: str) -> Path:
        """Path of the FLV recorded by `application live` for `stream`."""
        return self.rec_dir / f"{stream}.flv"

    # -- config ------------------------------------------------------------
    def _config(self) -> str:
        d = str(self.dir)
        extra = self.extra_apps.replace("@DIR@", d)
        live_extra = self.live_extra.replace("@DIR@", d)
        return f"""# generated by tests/integration/harness.py
load_module {RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
error_log {d}/error.log {self.log_level};
pid {d}/nginx.pid;

events {{
    worker_connections 256;
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
        application live {{
            live on;
            record all;
            record_path {d}/rec;
            record_unique off;
{live_extra}
        }}
{extra}
    }}
}}
"""

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "NginxRtmp":
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="nginx-rtmp-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "tmp").mkdir(exist_ok=True)
        self.rec_dir.mkdir(exist_ok=True)
        last_err = ""
        # Ports are picked by binding port 0; another process may grab one in
        # the window before nginx binds it, so retry a few times.
        for _attempt in range(5):
            self.port, self.http_port = free_port(), free_port()
            if self.port == self.http_port:
                continue
            self.conf_path.write_text(self._config())
            with open(self.dir / "stdout.log", "ab") as out:
                self.proc = _spawn([NGINX, "-c", str(self.conf_path), "-p", str(self.dir) + "/",
                                    "-e", str(self.error_log)],
                                   stdout=out, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if port_accepts(self.port) and port_accepts(self.http_port):
                    return self
                time.sleep(0.05)
            last_err = self.log_text()
            stop_process(self.proc, signal.SIGKILL, 1)
            if "Address already in use" not in last_err:
                break
        raise RuntimeError(f"nginx failed to start (conf {self.conf_path}):\n{last_err}\n"
                           f"{self._read(self.dir / 'stdout.log')}")

    def kill(self) -> None:
        """Kills nginx at once (SIGKILL): a server crash, as clients see it."""
        if self.proc is not None:
            stop_process(self.proc, signal.SIGKILL, 5.0)
            self.proc = None

    def restart(self) -> None:
        """Starts nginx again on the same ports with the same configuration."""
        assert self.proc is None, "stop() or kill() first"
        with open(self.dir / "stdout.log", "ab") as out:
            self.proc = _spawn([NGINX, "-c", str(self.conf_path), "-p", str(self.dir) + "/",
                                "-e", str(self.error_log)], stdout=out, stderr=subprocess.STDOUT)
        wait_until(lambda: port_accepts(self.port) and port_accepts(self.http_port),
                   self.startup_timeout, what="nginx to accept again")

    def stop(self) -> None:
        if self.proc is not None:
            # SIGQUIT = graceful shutdown; single-process nginx exits at once.
            stop_process(self.proc, signal.SIGQUIT, 5.0)
            self.proc = None

    def __enter__(self) -> "NginxRtmp":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            self.dump_log()
        elif self._own_dir and self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- logs --------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_text(self) -> str:
        return self._read(self.error_log)

    def dump_log(self, file=None) -> None:
        file = file or sys.stderr
        print(f"===== nginx error log ({self.error_log}) =====", file=file)
        print(self.log_text(), file=file)
        print("===== end of nginx error log =====", file=file)

    def log_problems(self) -> list[str]:
        """Lines of level crit/alert/emerg in the error log (should be none)."""
        return [l for l in self.log_text().splitlines()
                if re.search(r"\[(crit|alert|emerg)\]", l)]

    # -- http: stat / control ---------------------------------------------
    def _http_get(self, path: str, timeout: float = 5.0) -> bytes:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.http_port}{path}",
                                    timeout=timeout) as r:
            return r.read()

    def stat(self) -> ET.Element:
        """nginx-rtmp /stat as an XML element tree."""
        return ET.fromstring(self._http_get("/stat"))

    def stream_clients(self, app: str, stream: str) -> list[dict]:
        """Clients of a live stream as dicts: id, publishing, active, dropped, ..."""
        root = self.stat()
        out = []
        for a in root.iter("application"):
            if a.findtext("name") != app:
                continue
            for s in a.iter("stream"):
                if s.findtext("name") != stream:
                    continue
                for c in s.findall("client"):
                    out.append({
                        "id": c.findtext("id"),
                        "publishing": c.find("publishing") is not None,
                        "active": c.find("active") is not None,
                        "dropped": int(c.findtext("dropped") or 0),
                        "timestamp": int(c.findtext("timestamp") or 0),
                        "flashver": c.findtext("flashver"),
                    })
        return out

    def players(self, app: str, stream: str) -> list[dict]:
        return [c for c in self.stream_clients(app, stream) if not c["publishing"]]

    def publishers(self, app: str, stream: str) -> list[dict]:
        return [c for c in self.stream_clients(app, stream) if c["publishing"]]

    def wait_player(self, app: str, stream: str, timeout: float = 15.0) -> None:
        wait_until(lambda: self.players(app, stream), timeout,
                   what=f"a player on {app}/{stream}")

    def wait_publisher(self, app: str, stream: str, timeout: float = 15.0) -> None:
        wait_until(lambda: self.publishers(app, stream), timeout,
                   what=f"a publisher on {app}/{stream}")

    def wait_no_publisher(self, app: str, stream: str, timeout: float = 30.0) -> None:
        wait_until(lambda: not self.publishers(app, stream), timeout,
                   what=f"the publisher of {app}/{stream} to go away")

    def _control(self, what: str, app: str, stream: str) -> int:
        q = urllib.parse.urlencode({"app": app, "name": stream})
        body = self._http_get(f"/control/drop/{what}?{q}").strip()
        return int(body or 0)

    def drop_subscribers(self, app: str, stream: str) -> int:
        """Make nginx close the connections of all players of app/stream."""
        return self._control("subscriber", app, stream)

    def drop_publisher(self, app: str, stream: str) -> int:
        return self._control("publisher", app, stream)

    # -- recordings --------------------------------------------------------
    def wait_recorded(self, stream: str, timeout: float = 30.0,
                      stable_for: float = 0.3) -> Path:
        """Wait until the recording of live/`stream` is finalised and return it.

        nginx closes the record file when the publisher's stream closes
        (deleteStream / disconnect), and at close it rewrites byte 4 of the
        FLV header.  So: wait until /stat shows no publisher, then until the
        file is stable and parses as a complete FLV.  Call this only after the
        publisher has finished (e.g. gst-launch returned)."""
        path = self.recorded(stream)
        self.wait_no_publisher("live", stream, timeout)
        wait_file_stable(path, stable_for=stable_for, timeout=timeout, min_size=13)
        read_flv(path)  # raises if truncated / malformed
        return path


# --------------------------------------------------------------------------
# Fixtures: real H.264 + AAC FLV built with ffmpeg at test time
# --------------------------------------------------------------------------

# Bump when the recipe below changes, so stale cache entries are not reused.
_FIXTURE_RECIPE_VERSION = 1


def cache_dir() -> Path:
    d = os.environ.get("RTMP_TEST_CACHE")
    p = Path(d) if d else Path(tempfile.gettempdir()) / "rtmp-test-cache"
    p.mkdir(parents=True, exist_ok=True)
    return p


def _ffmpeg_version() -> str:
    out = subprocess.run([FFMPEG, "-version"], capture_output=True, text=True, timeout=30).stdout
    return out.splitlines()[0] if out else "unknown"


def make_fixture(path: str | os.PathLike | None = None, seconds: int = 4,
                 bframes: int = 2) -> Path:
    """A real H.264 + AAC FLV: testsrc2 320x240 25 fps + 440 Hz sine, mono
    44100 Hz AAC, libx264 -g 25 (one keyframe a second), `bframes` B-frames.

    Default bframes=2: real encoders emit B-frames, so video tags carry a
    non-zero composition time offset (CTS, signed 24 bit in the tag body) and
    DTS != PTS.  A sink that re-derives timestamps from PTS or rewrites the
    tag body would break that; with -bf 0 every CTS is 0 and such bugs hide.
    (Use bframes=0 where a pipeline element cannot round-trip B-frames,
    e.g. flvdemux ! flvmux, see test_publish.py.)

    With these parameters ffmpeg writes: onMetaData, AVC sequence header,
    AAC sequence header (all at t=0), interleaved frames, and a final AVC
    end-of-sequence tag (whose timestamp is below the last audio tag's).
    The first A/V tag is at timestamp 0, which matters for nginx's
    recording (see nginx_record_model).

    Built once per parameter set + ffmpeg version into cache_dir() (atomic
    rename under a lock, so concurrent test processes are fine).  If `path`
    is given, the fixture is copied there and that path is returned.
    """
    key_src = f"v{_FIXTURE_RECIPE_VERSION}|{seconds}|{bframes}|{_ffmpeg_version()}"
    key = hashlib.sha1(key_src.encode()).hexdigest()[:12]
    cached = cache_dir() / f"fixture-{seconds}s-bf{bframes}-{key}.flv"
    if not cached.exists():
        lock_path = cached.with_suffix(".lock")
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not cached.exists():
                tmp = cached.with_suffix(f".tmp{os.getpid()}.flv")
                cmd = [FFMPEG, "-nostdin", "-v", "error", "-y",
                       "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                       "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                       "-t", str(seconds), "-map", "0:v", "-map", "1:a",
                       "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                       "-g", "25", "-bf", str(bframes),
                       "-c:a", "aac", "-ar", "44100", "-b:a", "64k",
                       "-f", "flv", str(tmp)]
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                if r.returncode != 0:
                    tmp.unlink(missing_ok=True)
                    raise RuntimeError(f"fixture build failed: {shlex.join(cmd)}\n{r.stderr}")
                os.replace(tmp, cached)
    if path is None:
        return cached
    path = Path(path)
    shutil.copyfile(cached, path)
    return path


# --------------------------------------------------------------------------
# framemd5 / ffprobe
# --------------------------------------------------------------------------

class Packet(NamedTuple):
    stream_index: int
    dts: int
    pts: int
    duration: int
    size: int
    md5: str


class StreamInfo(NamedTuple):
    media_type: str                      # "video" / "audio" / ...
    codec_id: str
    time_base: str
    extradata: tuple[int, str] | None    # (size, md5) of codec extradata


class FrameMd5(list):
    """List of Packet rows, plus `.streams` {index: StreamInfo} and
    `.side_data` {row index: ((size, md5), ...)}, `.path`."""

    def __init__(self, rows=(), streams=None, side_data=None, path=None):
        super().__init__(rows)
        self.streams: dict[int, StreamInfo] = streams or {}
        self.side_data: dict[int, tuple[tuple[int, str], ...]] = side_data or {}
        self.path = path

    def media(self, index: int) -> str:
        s = self.streams.get(index)
        return s.media_type if s else f"stream{index}"

    def by_media(self) -> dict[str, list[Packet]]:
        out: dict[str, list[Packet]] = {}
        for p in self:
            out.setdefault(self.media(p.stream_index), []).append(p)
        return out

    def extradata_by_media(self) -> dict[str, tuple[int, str] | None]:
        return {s.media_type: s.extradata for s in self.streams.values()}


def framemd5(path: str | os.PathLike, timeout: float = 60.0) -> FrameMd5:
    """Per-packet checksums of every stream of a media file.

    Runs `ffmpeg -v error -copyts -i F -map 0 -c copy -f framemd5 -`.
    `-copyts` is deliberate: without it ffmpeg subtracts the input's
    start_time (its smallest *PTS*) from all timestamps.  With B-frames the
    first video PTS is 80 ms and the first audio PTS 57 ms, so the default
    would report video DTS -57 where the file says 0, and any constant
    timestamp offset introduced by a peer would be silently normalised away.
    With -copyts the rows carry the timestamps actually stored in the file.

    framemd5 v2 also reports codec extradata (the AVC/AAC sequence headers
    in FLV) per stream and per-packet side data ("S=n, size, md5" columns);
    both are parsed.
    """
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-copyts", "-i", str(path),
           "-map", "0", "-c", "copy", "-f", "framemd5", "-"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"framemd5 failed for {path}:\n{r.stderr}")
    streams_raw: dict[int, dict] = {}
    rows: list[Packet] = []
    side: dict[int, tuple[tuple[int, str], ...]] = {}
    for line in r.stdout.splitlines():
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#(\w+) (\d+):\s*(.*)$", line)
            if m:
                streams_raw.setdefault(int(m.group(2)), {})[m.group(1)] = m.group(3).strip()
                continue
            m = re.match(r"#extradata (\d+),\s*(\d+),\s*([0-9a-f]+)", line)
            if m:
                streams_raw.setdefault(int(m.group(1)), {})["extradata"] = (int(m.group(2)),
                                                                            m.group(3))
            continue
        cols = [c.strip() for c in line.split(",")]
        rows.append(Packet(int(cols[0]), int(cols[1]), int(cols[2]), int(cols[3]),
                           int(cols[4]), cols[5]))
        if len(cols) > 6 and cols[6].startswith("S="):
            n = int(cols[6][2:])
            side[len(rows) - 1] = tuple((int(cols[7 + 2 * i]), cols[8 + 2 * i]) for i in range(n))
    streams = {i: StreamInfo(d.get("media_type", "?"), d.get("codec_id", "?"), d.get("tb", "?"),
                             d.get("extradata")) for i, d in streams_raw.items()}
    if stderr := r.stderr.strip():
        # ffmpeg complained but succeeded: keep the message with the result.
        print(f"framemd5 {path}: {stderr}", file=sys.stderr)
    return FrameMd5(rows, streams, side, Path(path))


def count_frames(path: str | os.PathLike, timeout: float = 60.0) -> dict[str, int]:
    """Packets per media type, via `ffprobe -count_packets`."""
    cmd = [FFPROBE, "-v", "error", "-count_packets", "-show_entries",
           "stream=index,codec_type,nb_read_packets", "-of", "json", str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"ffprobe failed for {path}:\n{r.stderr}")
    out: dict[str, int] = {}
    for s in json.loads(r.stdout).get("streams", []):
        t = s.get("codec_type", "?")
        out[t] = out.get(t, 0) + int(s.get("nb_read_packets", 0))
    return out


_PACKET_FIELDS = ("dts", "pts", "duration", "size", "md5")


def _fmt_packet(fm: FrameMd5, i: int, p: Packet) -> str:
    s = f"#{i} {fm.media(p.stream_index)} dts={p.dts} pts={p.pts} dur={p.duration} " \
        f"size={p.size} md5={p.md5}"
    if i in fm.side_data:
        s += f" side_data={fm.side_data[i]}"
    return s


def _drop_repeated_extradata(fm: FrameMd5) -> dict[int, tuple]:
    """Side data of fm minus entries that merely repeat the stream's extradata."""
    out = {}
    for i, entries in fm.side_data.items():
        ex = fm.streams.get(fm[i].stream_index)
        ex = ex.extradata if ex else None
        kept = tuple(e for e in entries if e != ex)
        if kept:
            out[i] = kept
    return out


def diff_packets(expected: FrameMd5, actual: FrameMd5, *,
                 fields: Iterable[str] = _PACKET_FIELDS, per_media: bool = False,
                 check_extradata: bool = True, check_side_data: bool = True,
                 ignore_repeated_extradata: bool = False) -> str | None:
    """Compare two framemd5 results; None if equal, else a readable report of
    the first difference (with a little context).

    Streams are matched by media type, not index (index order depends on
    which tag a demuxer sees first).  per_media=False compares the single
    interleaved packet sequence (order matters: nginx records in arrival
    order); per_media=True compares each media type's sequence separately
    (for files re-interleaved by another muxer, e.g. ffmpeg's).

    ignore_repeated_extradata: drop per-packet side data whose (size, md5)
    equals the stream's own extradata.  ffmpeg's FLV demuxer turns a repeated
    sequence-header tag into NEW_EXTRADATA side data on the next packet; if
    it is identical to the extradata it changes nothing.
    """
    fields = tuple(fields)
    problems: list[str] = []
    name_e = str(expected.path or "expected")
    name_a = str(actual.path or "actual")

    if check_extradata:
        ee, ea = expected.extradata_by_media(), actual.extradata_by_media()
        if ee != ea:
            problems.append(f"codec extradata (sequence headers) differ:\n"
                            f"  expected {ee}\n  actual   {ea}")

    se = expected.side_data
    sa = actual.side_data
    if ignore_repeated_extradata:
        se = _drop_repeated_extradata(expected)
        sa = _drop_repeated_extradata(actual)

    def key(fm: FrameMd5, p: Packet):
        return (fm.media(p.stream_index),) + tuple(getattr(p, f) for f in fields)

    if per_media:
        groups_e = {}
        groups_a = {}
        for i, p in enumerate(expected):
            groups_e.setdefault(expected.media(p.stream_index), []).append(i)
        for i, p in enumerate(actual):
            groups_a.setdefault(actual.media(p.stream_index), []).append(i)
        seqs = [(m, groups_e.get(m, []), groups_a.get(m, []))
                for m in sorted(set(groups_e) | set(groups_a))]
    else:
        seqs = [("all streams", list(range(len(expected))), list(range(len(actual))))]

    for label, ie, ia in seqs:
        counts = f"{label}: expected {len(ie)} packets, actual {len(ia)}"
        for n in range(max(len(ie), len(ia))):
            pe = expected[ie[n]] if n < len(ie) else None
            pa = actual[ia[n]] if n < len(ia) else None
            same = pe is not None and pa is not None and key(expected, pe) == key(actual, pa)
            if same and check_side_data:
                same = se.get(ie[n]) == sa.get(ia[n])
            if same:
                continue
            lines = [f"first difference in {label} at packet {n} "
                     f"(compared fields: {', '.join(fields)}); {counts}"]
            lo = max(0, n - 2)
            for k in range(lo, min(n + 3, max(len(ie), len(ia)))):
                mark = ">>" if k == n else "  "
                e = _fmt_packet(expected, ie[k], expected[ie[k]]) if k < len(ie) else "<none>"
                a = _fmt_packet(actual, ia[k], actual[ia[k]]) if k < len(ia) else "<none>"
                lines.append(f"{mark} expected {e}\n{mark} actual   {a}")
            problems.append("\n".join(lines))
            break
    if not problems:
        return None
    return f"packets of {name_a} differ from {name_e}:\n" + "\n".join(problems)


def assert_same_packets(expected: FrameMd5, actual: FrameMd5, **kw) -> None:
    """assert wrapper around diff_packets."""
    d = diff_packets(expected, actual, **kw)
    assert d is None, d


# --------------------------------------------------------------------------
# FLV tag level: parser, writer, and a model of nginx's `record all`
# --------------------------------------------------------------------------

class FlvTag(NamedTuple):
    type: int
    timestamp: int     # full 32 bit (24 bit + extended byte)
    stream_id: int
    data: bytes
    offset: int = -1   # file offset of the tag header (informational)

    def describe(self) -> str:
        d = self.data
        kind = {TAG_AUDIO: "audio", TAG_VIDEO: "video", TAG_SCRIPT: "script"}.get(self.type,
                                                                               str(self.type))
        extra = ""
        if self.type == TAG_VIDEO and len(d) >= 5:
            cts = int.from_bytes(d[2:5], "big", signed=True)
            extra = f" frame_type={d[0] >> 4} codec={d[0] & 15} avc_packet_type={d[1]} cts={cts}"
        elif self.type == TAG_AUDIO and len(d) >= 2:
            extra = f" sound_format={d[0] >> 4} aac_packet_type={d[1]}"
        return (f"{kind} ts={self.timestamp} size={len(d)}{extra} "
                f"md5={hashlib.md5(d).hexdigest()} @{self.offset}")


class FlvFile(NamedTuple):
    flags: int          # header byte 4 (0x01 video, 0x04 audio)
    tags: list[FlvTag]


def read_flv(path: str | os.PathLike) -> FlvFile:
    """Parse an FLV file strictly (PreviousTagSize fields are checked)."""
    data = Path(path).read_bytes()
    if len(data) < 13 or data[:3] != b"FLV":
        raise ValueError(f"{path}: not an FLV file ({len(data)} bytes)")
    hlen = int.from_bytes(data[5:9], "big")
    off = hlen
    if int.from_bytes(data[off:off + 4], "big") != 0:
        raise ValueError(f"{path}: PreviousTagSize0 != 0")
    off += 4
    tags = []
    while off < len(data):
        if off + 11 > len(data):
            raise ValueError(f"{path}: truncated tag header at {off}")
        t = data[off] & 0x1F
        size = int.from_bytes(data[off + 1:off + 4], "big")
        ts = int.from_bytes(data[off + 4:off + 7], "big") | (data[off + 7] << 24)
        sid = int.from_bytes(data[off + 8:off + 11], "big")
        end = off + 11 + size
        if end + 4 > len(data):
            raise ValueError(f"{path}: truncated tag at {off} (size {size})")
        prev = int.from_bytes(data[end:end + 4], "big")
        if prev != size + 11:
            raise ValueError(f"{path}: bad PreviousTagSize {prev} after tag at {off}")
        tags.append(FlvTag(t, ts, sid, data[off + 11:end], off))
        off = end + 4
    return FlvFile(data[4], tags)


def flv_bytes(flv: FlvFile) -> bytes:
    """Serialise an FlvFile (9-byte header + PreviousTagSize0 + tags)."""
    out = bytearray(b"FLV\x01" + bytes([flv.flags]) + (9).to_bytes(4, "big") + bytes(4))
    for t in flv.tags:
        ts = t.timestamp & 0xFFFFFFFF
        out += bytes([t.type]) + len(t.data).to_bytes(3, "big")
        out += (ts & 0xFFFFFF).to_bytes(3, "big") + bytes([ts >> 24])
        out += t.stream_id.to_bytes(3, "big") + t.data
        out += (len(t.data) + 11).to_bytes(4, "big")
    return bytes(out)


def nginx_record_model(published: Sequence[FlvTag]) -> FlvFile:
    """What nginx-rtmp's `record all` writes for a published tag sequence.

    Transcribed from ngx_rtmp_codec_module.c / ngx_rtmp_record_module.c
    (nginx-rtmp 1.2.x as packaged by Debian; confirmed empirically against
    /usr/lib/nginx/modules/ngx_rtmp_module.so).  For a publisher that sends
    each FLV tag as one RTMP message with the tag's timestamp:

      * only audio/video messages are recorded; script data (onMetaData,
        sent as @setDataFrame) is not;
      * the FLV header is nginx's own: flags byte rewritten at close to
        0x01 (saw video) | 0x04 (saw audio); tag stream ids are 0;
      * timestamps are rebased: epoch = timestamp of the first A/V message,
        written ts = (ts - epoch) mod 2^32, and a result that is negative as
        int32 is clamped to 0;
      * the codec module remembers the last AAC / AVC sequence header
        (sound format 10 / codec id 7, packet type 0, >= 3 bytes);
        before recording the first message after such a header is known,
        the record module writes a copy of it (with the current message's
        timestamp), once per recording;
      * video messages are dropped until the AVC header was written and a
        keyframe that is not a sequence header was seen (so the AVC header
        message itself is not written a second time);
      * audio messages are dropped until the AAC header was written, but
        the AAC header message itself IS written after its copy, so the
        recording contains the AAC sequence header twice (byte-identical).
    """
    aac_header = avc_header = None
    audio_codec = video_codec = None
    initialized = False
    epoch = 0
    aac_sent = avc_sent = key_sent = False
    saw_audio = saw_video = False
    out: list[FlvTag] = []

    def write(tag_type: int, ts: int, data: bytes) -> None:
        nonlocal saw_audio, saw_video
        if tag_type == TAG_VIDEO:
            saw_video = True
        else:
            saw_audio = True
        t = (ts - epoch) & 0xFFFFFFFF
        if t >= 0x80000000:
            t = 0
        out.append(FlvTag(tag_type, t, 0, data))

    for tag in published:
        if tag.type not in (TAG_AUDIO, TAG_VIDEO):
            continue
        d = tag.data
        if not d:
            # nginx reads the first body byte of video messages unchecked.
            raise ValueError(f"empty A/V tag ({tag.describe()}): nginx behaviour not modelled")
        # ngx_rtmp_codec_av (runs before the record handler)
        if tag.type == TAG_AUDIO:
            audio_codec = d[0] >> 4
        else:
            video_codec = d[0] & 0x0F
        if len(d) >= 3 and d[1] == 0:
            if tag.type == TAG_AUDIO and audio_codec == 10:
                aac_header = d
            elif tag.type == TAG_VIDEO and video_codec == 7:
                avc_header = d
        # ngx_rtmp_record_node_av
        if not initialized:
            initialized = True
            epoch = tag.timestamp
        if not aac_sent and aac_header is not None:
            write(TAG_AUDIO, tag.timestamp, aac_header)
            aac_sent = True
        if not avc_sent and avc_header is not None:
            write(TAG_VIDEO, tag.timestamp, avc_header)
            avc_sent = True
        if tag.type == TAG_VIDEO:
            if video_codec == 7 and not avc_sent:
                continue
            is_codec_header = len(d) >= 2 and d[1] == 0
            if (d[0] >> 4) == 1 and (video_codec != 7 or not is_codec_header):
                key_sent = True
            if not key_sent:
                continue
        else:
            if audio_codec == 10 and not aac_sent:
                continue
        write(tag.type, tag.timestamp, d)
    flags = (0x01 if saw_video else 0) | (0x04 if saw_audio else 0)
    return FlvFile(flags, out)


def diff_tags(expected: Sequence[FlvTag], actual: Sequence[FlvTag]) -> str | None:
    """First differing tag (type, timestamp, stream id, body bytes), or None."""
    def k(t: FlvTag):
        return (t.type, t.timestamp, t.stream_id, t.data)
    for n in range(max(len(expected), len(actual))):
        e = expected[n] if n < len(expected) else None
        a = actual[n] if n < len(actual) else None
        if e is not None and a is not None and k(e) == k(a):
            continue
        lines = [f"first differing FLV tag at index {n} "
                 f"(expected {len(expected)} tags, actual {len(actual)})"]
        for j in range(max(0, n - 2), min(n + 3, max(len(expected), len(actual)))):
            mark = ">>" if j == n else "  "
            de = expected[j].describe() if j < len(expected) else "<none>"
            da = actual[j].describe() if j < len(actual) else "<none>"
            lines.append(f"{mark} expected {de}\n{mark} actual   {da}")
        return "\n".join(lines)
    return None


def assert_nginx_recording_exact(published: Sequence[FlvTag] | FlvFile | str | os.PathLike,
                                 recorded: str | os.PathLike) -> None:
    """The recorded file must be byte-identical to nginx_record_model(published)."""
    if isinstance(published, (str, os.PathLike)):
        published = read_flv(published)
    if isinstance(published, FlvFile):
        published = published.tags
    model = nginx_record_model(published)
    actual_bytes = Path(recorded).read_bytes()
    if flv_bytes(model) == actual_bytes:
        return
    actual = read_flv(recorded)
    msg = diff_tags(model.tags, actual.tags)
    if msg is None:
        msg = f"FLV header flags: expected {model.flags:#04x}, actual {actual.flags:#04x}"
    raise AssertionError(f"{recorded} is not what nginx records for the published stream:\n"
                         f"{msg}")


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
