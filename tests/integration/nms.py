"""Integration-test harness: a private node-media-server (npm, 4.x) on loopback
(NodeMediaServer).

node-media-server parses Enhanced RTMP tags (hvc1, av01, vp09, Opus, ...) and records enhanced
video, which nginx-rtmp 1.2.2's `record` skips, so it is the test peer that shows what a
publisher sent of an enhanced stream (docs/enhanced-rtmp.md has what each server relays).
scripts/install-deps.sh installs it with npm into a cache directory outside the git tree:

  $RTMP_TEST_NMS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/gst-rtmp-native/node-media-server-VERSION

The server is started by nms_launch.js (the package's NodeMediaServer class, its RTMP listener
opened once the record server is ready) with a generated config:
`bind` 127.0.0.1, the RTMP port a free loopback port, no RTMPS, no HTTP/HTTPS/WebSocket
listener (so no HTTP-FLV, no admin API, no web console), no notification URL, no relays, its
store and recordings in the work dir. With `record=True` every published stream is recorded
(record.auto), one file per publishing session (`recordings()`): what the server received,
tag by tag, enhanced video included.

What it does with a stream (read from its source, src/protocol/flv.js and
src/server/broadcast_server.js, and measured by tests/integration/test_enhanced_rtmp.py):
every audio, video and data message a publisher sends goes to every player already
subscribed, payload unchanged, at the message's timestamp, on message stream 0 (which
GStreamer's rtmp2src ignores; rtmpsrc plays it). A player that joins later gets
the last metadata, ONE audio and ONE video sequence header (the last of each, whatever the
track) and the cached GOP; enhanced video other than hvc1/av01/vp09 (avc1, vp08, multitrack)
is not classified and is cached as if it were the audio header. A publisher that leaves is
not announced to the players (no UnpublishNotify, no StreamEOF): they wait for more. A
publisher from the same address that publishes the same stream within 30 s of leaving
"resumes" it, and the server shifts its timestamps past the previous session's last one: the
tests use a new stream name for each publication. The server answers `connect` without
fourCcList or capsEx.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from external_tools import LOOPBACK
from ports import free_port, port_accepts
from processes import _spawn, stop_process
from waiting import wait_until

NMS_VERSION = "4.4.3"
LAUNCHER = Path(__file__).resolve().parent / "nms_launch.js"
# RTMP_TEST_NODE: another node binary (the tests run on Debian 12's node 18 and on node 20).
NODE = os.environ.get("RTMP_TEST_NODE") or shutil.which("node") or shutil.which("nodejs") or \
    "/usr/bin/node"


def nms_dir() -> Path:
    """Where install-deps.sh puts node-media-server (npm --prefix)."""
    env = os.environ.get("RTMP_TEST_NMS_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "gst-rtmp-native" / f"node-media-server-{NMS_VERSION}"


def nms_package() -> Path:
    return nms_dir() / "node_modules" / "node-media-server"


def nms_problem() -> str | None:
    """Why node-media-server cannot be run here (None when it can)."""
    if not os.access(NODE, os.X_OK):
        return "node is not installed (scripts/install-deps.sh installs Debian's nodejs)"
    manifest = nms_package() / "package.json"
    try:
        version = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return f"node-media-server {NMS_VERSION} is not installed in {nms_dir()} " \
               "(run scripts/install-deps.sh)"
    if version != NMS_VERSION:
        return f"{manifest} is version {version}, the tests pin {NMS_VERSION} " \
               "(run scripts/install-deps.sh)"
    return None


class NodeMediaServer:
    """A private node-media-server on 127.0.0.1, as a context manager.

        with NodeMediaServer(record=True) as nms:
            url = nms.url("live", "cam")        # rtmp://127.0.0.1:PORT/live/cam
            ...publish...
            files = nms.recordings("live", "cam")

    `workdir`: config, log, store and recordings (default: a fresh temp dir, removed on a clean
    exit, kept and its log printed when the block raised)."""

    def __init__(self, *, record: bool = False, workdir: str | os.PathLike | None = None,
                 startup_timeout: float = 20.0):
        self.record = record
        self.startup_timeout = startup_timeout
        self._own_dir = workdir is None
        self.dir = Path(workdir) if workdir is not None else None
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def conf_path(self) -> Path:
        return self.dir / "nms.json"

    @property
    def log_path(self) -> Path:
        return self.dir / "nms.log"

    @property
    def record_dir(self) -> Path:
        return self.dir / "record"

    def url(self, app: str = "live", stream: str = "test") -> str:
        return f"rtmp://{LOOPBACK}:{self.port}/{app}/{stream}"

    def _config(self) -> dict:
        # `bind` is what every listener binds to; rtmps/http/https absent = no such listener
        # (no HTTP-FLV, no WebSocket, no web console); notify.url empty = no webhook; no
        # auth.jwt = no admin API; no relay tasks in the fresh store = no outgoing connection.
        return {
            "bind": LOOPBACK,
            "rtmp": {"port": self.port},
            "notify": {"url": ""},
            "auth": {"play": False, "publish": False},
            "store": {"path": str(self.dir / "data"), "maxHistory": 100},
            "webadmin": {"enable": False},
            "record": {"auto": self.record, "path": str(self.record_dir)},
        }

    def _spawn(self) -> None:
        # Sanitizer builds preload the ASan runtime into every process the tests start; node is
        # not ours to check, and starts ten times slower with it.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        version = subprocess.run([NODE, "--version"], capture_output=True, text=True,
                                 timeout=30, env=env).stdout.strip()
        with open(self.log_path, "ab") as log:
            log.write(f"# {NODE} {version}\n".encode())
            log.flush()
            self.proc = _spawn([NODE, str(LAUNCHER), str(nms_package()), str(self.conf_path)],
                               stdout=log, stderr=subprocess.STDOUT, cwd=str(self.dir), env=env)

    def start(self) -> "NodeMediaServer":
        problem = nms_problem()
        if problem:
            raise RuntimeError(problem)
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="nms-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        last = ""
        for _attempt in range(5):  # a free port may be taken before the server binds it
            self.port = free_port()
            self.conf_path.write_text(json.dumps(self._config(), indent=2))
            self._spawn()
            try:
                self._wait_listening()
                return self
            except RuntimeError as e:
                last = str(e)
                stop_process(self.proc, signal.SIGKILL, 1)
                self.proc = None
                if "already in use" not in last:
                    break
        raise RuntimeError(f"node-media-server failed to start:\n{last}")

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log_text())
            if port_accepts(self.port) and (not self.record or "Record server start" in
                                            self._this_process_log()):
                return
            time.sleep(0.05)
        raise RuntimeError(f"not listening after {self.startup_timeout} s\n{self.log_text()}")

    def kill(self) -> None:
        """SIGKILL: a server crash, as clients see it."""
        if self.proc is not None:
            stop_process(self.proc, signal.SIGKILL, 5.0)
            self.proc = None

    def restart(self) -> None:
        """Starts the server again on the same port with the same configuration."""
        assert self.proc is None, "stop() or kill() first"
        self._spawn()
        self._wait_listening()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM, 5.0)
            self.proc = None

    def __enter__(self) -> "NodeMediaServer":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            self.dump_log()
        elif self._own_dir and self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- log ---------------------------------------------------------------
    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def dump_log(self, file=None) -> None:
        print(f"===== node-media-server log ({self.log_path}) =====\n{self.log_text()}\n"
              "===== end of node-media-server log =====", file=file or sys.stderr)

    def log_problems(self) -> list[str]:
        """[ERROR] lines of the log (parse errors, refused publishes, listener failures)."""
        return [l for l in self.log_text().splitlines() if "[ERROR]" in l]

    def _this_process_log(self) -> str:
        text = self.log_text()
        return text[text.rfind(f"# {NODE} "):]  # _spawn() writes it first

    def _sessions(self, action: str, app: str, stream: str) -> list[str]:
        """Ids of the RTMP sessions that did `action` ("play" or "push") on /app/stream and
        have not closed, read from the log (the server has no stat page without its API)."""
        text = self._this_process_log()
        started = re.findall(rf"RTMP session (\S+) \S+ start {action} /{re.escape(app)}/"
                             rf"{re.escape(stream)}$", text, re.M)
        closed = set(re.findall(r"RTMP session (\S+) close$", text, re.M))
        return [s for s in started if s not in closed]

    def players(self, app: str, stream: str) -> list[str]:
        return self._sessions("play", app, stream)

    def publishers(self, app: str, stream: str) -> list[str]:
        return self._sessions("push", app, stream)

    def wait_player(self, app: str, stream: str, timeout: float = 15.0, count: int = 1) -> None:
        wait_until(lambda: len(self.players(app, stream)) >= count, timeout,
                   what=f"{count} player(s) on {app}/{stream}")

    def wait_publisher(self, app: str, stream: str, timeout: float = 15.0) -> None:
        wait_until(lambda: self.publishers(app, stream), timeout,
                   what=f"a publisher on {app}/{stream}")

    def wait_no_publisher(self, app: str, stream: str, timeout: float = 30.0) -> None:
        wait_until(lambda: not self.publishers(app, stream), timeout,
                   what=f"the publisher of {app}/{stream} to go away")

    def recordings(self, app: str, stream: str) -> list[Path]:
        """The record files of /app/stream, oldest first (named by their start time in ms)."""
        return sorted((self.record_dir / app / stream).glob("*.flv"),
                      key=lambda p: int(p.stem) if p.stem.isdigit() else 0)
