"""Every gst-launch-1.0 line of README.md and docs/*.md, run against a local nginx-rtmp.

What counts as a launch line: a line inside a fenced code block (```) whose command, after
leading VAR=value assignments, is gst-launch-1.0; a trailing backslash continues it on the next
line; lines starting with `#` are comments.  Every such line is parsed and classified below;
a line the classifier does not understand (an unknown element, scheme, application, file,
environment variable or gst-launch option) fails the test, so a new doc line is either run or
deliberately listed in SKIPPED with a reason.

Conventions the docs' lines rely on (also described in docs/README.md):

- Servers: every host in an rtmp://, rtmps://, rtmpt:// or rtmpts:// location (127.0.0.1,
  localhost, *.example.com, media.internal, 10.0.0.5, ...) and its port are rewritten to a
  server on 127.0.0.1 started for the line: nginx-rtmp for rtmp://; nginx's stream module
  terminating TLS in front of it for rtmps:// (tls_support.py); the RTMPT gateway
  (rtmpt_gateway.py) for rtmpt://, with TLS for rtmpts://.  `proxy=socks5://...` is rewritten
  to a microsocks proxy (socks_support.py).  A line with credentials (`username=` and
  `password=`, or user:password@ in the URL) talks to auth_gate.py in front of nginx, which
  demands Adobe authentication with exactly those credentials and checks the response.
  No line ever reaches another address.
- Applications: `live` is nginx's live application (recorded, so a publishing line is checked
  against what nginx received); `vod` and `ondemand` play files (nginx's `play`): `file.flv`,
  `clip` (= clip.flv) and `mp4:show.mp4` are made from the test's FLV.
- TLS: a line with `tls-ca-file=` gets the test CA in place of the file it names and talks to a
  server whose certificate that CA signed; a line without TLS options talks to the same server
  and finds the test CA in the "system store" (SSL_CERT_FILE); a line with
  `tls-validation-flags=` talks to a server with a self-signed certificate.  The certificates
  are for localhost and 127.0.0.1, so the name check passes after the host rewrite.
- Files: `filesrc location=in.flv` reads the test's FLV (H.264 with B-frames + AAC, 4 s, made
  with ffmpeg as in media.py); each line runs in its own empty directory, where files that
  `filesink` writes (copy.flv, show.flv) are checked to be FLV with the media in them.
- Enhanced RTMP clips: `hevc-opus.flv`, `av1-opus.flv`, `vp9-flac.flv`, `vp8-ac3.flv` and
  `multitrack.flv` (two HEVC and two Opus tracks) hold Enhanced RTMP tags that the test writes
  from real encoder output (eflv_clips.py, 1-2 s each). A line that publishes one runs against
  node-media-server with recording on (nms.py; nginx-rtmp's `record` skips enhanced video)
  and passes when the server recorded every audio and video tag of the file unchanged; so does
  a line that encodes into enhancedflvmux with a codec only Enhanced RTMP carries (x265enc,
  opusenc, ...), which passes when the recording holds every video frame and audio. A line
  that plays a live stream named like a clip (`live/hevc-opus`, ...) gets that clip published
  (to nginx-rtmp, which relays enhanced tags with `wait_key off`) in place of in.flv.
- Live sources: videotestsrc/audiotestsrc without `num-buffers=` get one (2 s of media), so the
  line ends with EOS.
- Sinks to a display or a sound card (autovideosink, autoaudiosink, ...) become fakesink; every
  fakesink gets `silent=false` and the line runs with `-v`, so the test sees that buffers
  reached it.
- Playing a live stream: the line starts first; once nginx lists it as a player, the test
  publishes its FLV to that stream (filesrc ! rtmpsink); the line must end by itself (EOS
  when the publisher leaves) with exit code 0.
- SecureToken (`token=`, `secure-token=`): nginx sends no secureToken, so the secret is not
  used; the exchange is tested in tests/session/test_auth_session.cpp.
- `GST_PLUGIN_PATH=$PWD/build/gst` in front of a line is what the test environment has already.
- A line without an RTMP element (an encoder into enhancedflvmux into a file) runs on its own:
  it must exit 0, and each file it writes must hold, per video track, as many coded frames as
  one of its videotestsrc elements made, and one audio track with frames per audiotestsrc
  (legacy and Enhanced RTMP tags are counted, multitrack by track id).

A line passes when gst-launch-1.0 exits 0 within its time limit and: publishing lines, nginx
recorded the stream (all frames of in.flv, or the live source's video); playing lines, every
sink got buffers and every written file holds the expected media.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import eflv_clips as C
import harness as H
import nms as N
import socks_support
import tls_support
from auth_gate import AdobeAuthGate
from rtmpt_gateway import RtmptGateway

REPO = Path(__file__).resolve().parents[2]
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# Lines that are deliberately not run: (file relative to the repo, text the joined line
# contains) -> reason.  Every entry must match a line (a stale entry fails).
SKIPPED: dict[tuple[str, str], str] = {}

# At least this many launch lines per file (so that a broken extractor cannot pass).
MIN_LINES = {"README.md": 1, "docs/elements.md": 5, "docs/connecting.md": 10,
             "docs/enhanced-rtmp.md": 10}

LIVE_APP = "live"
# Encoders whose output enhancedflvmux can only write as Enhanced RTMP tags.
ENHANCED_ENCODERS = {"x265enc", "av1enc", "svtav1enc", "rav1enc", "vp9enc", "vp8enc", "opusenc",
                     "flacenc", "avenc_ac3", "avenc_eac3"}
VOD_APPS = ("vod", "ondemand")
# Enhanced RTMP clips (see the docstring): name -> the tracks eflv_clips makes for it.
ENHANCED_CLIPS = {
    "hevc-opus": lambda: [C.encode_video("hvc1"), C.encode_audio("Opus")],
    "av1-opus": lambda: [C.encode_video("av01"), C.encode_audio("Opus")],
    "vp9-flac": lambda: [C.encode_video("vp09"), C.encode_audio("fLaC")],
    "vp8-ac3": lambda: [C.encode_video("vp08"), C.encode_audio("ac-3")],
    "multitrack": lambda: [C.encode_video("hvc1", 0), C.encode_video("hvc1", 1, width=160,
                                                                      height=120),
                           C.encode_audio("Opus", 0), C.encode_audio("Opus", 1, freq=660,
                                                                     channels=1)],
}
PROVIDED_INPUTS = {"in.flv", *(f"{c}.flv" for c in ENHANCED_CLIPS)}
TEST_SOURCES = {"videotestsrc": 60, "audiotestsrc": 90}  # num-buffers given: ~2 s each
DISPLAY_SINKS = {"autovideosink", "autoaudiosink", "xvimagesink", "ximagesink", "glimagesink",
                 "waylandsink", "pulsesink", "alsasink"}
# Elements that need nothing from the test (no server, file or time limit).
PLAIN_ELEMENTS = {"queue", "queue2", "flvmux", "flvdemux", "enhancedflvdemux", "decodebin",
                  "x264enc", "h264parse", "aacparse", "voaacenc", "avenc_aac", "avdec_h264",
                  "avdec_aac", "videoconvert", "audioconvert", "audioresample", "videoscale",
                  "tee", "fakesink", "h265parse", "avdec_h265", "av1parse", "av1dec",
                  "vp9parse", "vp9dec", "vp8dec", "opusparse", "opusdec", "flacparse",
                  "flacdec", "ac3parse", "a52dec", "avdec_eac3",
                  # docs/enhanced-flv-mux.md
                  "enhancedflvmux", "x265enc", "av1enc", "vp9enc", "vp8enc", "opusenc", "flacenc",
                  "lamemp3enc", "mpegaudioparse", "avenc_ac3", "avenc_eac3"}
RTMP_ELEMENTS = {"rtmpsink", "rtmpsrc"}
ALLOWED_ENV = {"GST_PLUGIN_PATH": "$PWD/build/gst"}
ALLOWED_OPTIONS = {"-e", "-v", "-q"}
URL_RE = re.compile(r"^(?P<scheme>rtmpts|rtmpt|rtmps|rtmp)://(?:(?P<userinfo>[^@/]*)@)?"
                    r"(?P<host>\[[^\]]*\]|[^/:?\s]+)(?::(?P<port>\d+))?(?P<path>/.*)?$")
PROXY_RE = re.compile(r"^(?P<scheme>socks5h?|socks)://(?:(?P<userinfo>[^@/]*)@)?"
                      r"(?P<host>\[[^\]]*\]|[^/:]+)(?::(?P<port>\d+))?/?$")

PUBLISH_TIMEOUT = 60.0
PLAY_TIMEOUT = 30.0


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------

@dataclass
class DocLine:
    file: str        # relative to the repository
    lineno: int
    text: str        # continuations joined

    @property
    def id(self) -> str:
        return f"{self.file}:{self.lineno}"


def extract_lines() -> list[DocLine]:
    out: list[DocLine] = []
    for path in DOC_FILES:
        rel = str(path.relative_to(REPO))
        in_fence = False
        current: DocLine | None = None
        for no, raw in enumerate(path.read_text().splitlines(), 1):
            stripped = raw.strip()
            if stripped.startswith("```"):
                if current is not None:
                    raise AssertionError(f"{rel}:{current.lineno}: continued past the code block")
                in_fence = not in_fence
                continue
            if not in_fence:
                continue
            if current is not None:
                current.text += " " + stripped.removesuffix("\\").strip()
                if not stripped.endswith("\\"):
                    out.append(current)
                    current = None
                continue
            if stripped.startswith("#") or "gst-launch-1.0" not in stripped:
                continue
            current = DocLine(rel, no, stripped.removesuffix("\\").strip())
            if not stripped.endswith("\\"):
                out.append(current)
                current = None
        assert current is None, f"{rel}: file ends in a continued line"
    return out


# --------------------------------------------------------------------------
# Classification: what a line needs, and how its arguments are rewritten
# --------------------------------------------------------------------------

class Unclassifiable(Exception):
    pass


@dataclass
class Target:
    """Where an RTMP element's location points, as the test understands it."""
    token: int                # index of the location= token
    scheme: str
    userinfo: str | None
    path: str
    options: str              # librtmp options after the URL (kept verbatim)
    app: str                  # as nginx sees it (query cut off)
    stream: str


@dataclass
class Plan:
    line: DocLine
    tokens: list[str]                       # gst-launch-1.0 arguments, rewritten in run()
    role: str = ""                          # "publish" or "play"
    target: Target | None = None
    proxy_token: int | None = None
    proxy_userinfo: str | None = None
    proxy_scheme: str = "socks5"
    tls_ca_token: int | None = None
    tls_server: str = ""                    # "ca" or "self" (rtmps, rtmpts)
    auth: tuple[str, str] | None = None     # (user, password) the gate demands
    secure_token: bool = False
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    observed_sinks: list[str] = field(default_factory=list)
    test_source_buffers: dict[str, int] = field(default_factory=dict)  # element -> num-buffers
    sources: list[tuple[str, int]] = field(default_factory=list)  # each test source, num-buffers
    options: list[str] = field(default_factory=list)

    @property
    def vod(self) -> bool:
        return self.role == "play" and self.target.app in VOD_APPS

    @property
    def enhanced_input(self) -> str | None:
        """The Enhanced RTMP clip the line publishes, if it publishes one."""
        clips = [i.removesuffix(".flv") for i in self.inputs if i != "in.flv"]
        return clips[0] if clips else None

    @property
    def enhanced_encoders(self) -> bool:
        """A publishing line that encodes into enhancedflvmux with a codec that only Enhanced
        RTMP carries (HEVC, AV1, VP9, VP8, Opus, FLAC, AC-3, E-AC-3)."""
        return self.role == "publish" and not self.inputs and "enhancedflvmux" in self.tokens \
            and any(t in ENHANCED_ENCODERS for t in self.tokens)

    @property
    def live_clip(self) -> str | None:
        """The Enhanced RTMP clip published for a line that plays a live stream named so."""
        if self.role != "play" or self.vod or self.target.stream not in ENHANCED_CLIPS:
            return None
        return self.target.stream

    def describe(self) -> str:
        if self.role == "local":
            return f"local: writes {self.outputs}, sources {self.sources}"
        t = self.target
        extra = []
        if self.proxy_token is not None:
            extra.append("through SOCKS5 (microsocks)")
        if self.auth:
            extra.append(f"Adobe authentication as {self.auth[0]!r} (auth_gate.py)")
        if self.secure_token:
            extra.append("SecureToken secret given, not asked for (nginx sends no secureToken)")
        if self.tls_server:
            extra.append(f"TLS server with a {'CA-signed' if self.tls_server == 'ca' else 'self-signed'}"
                         " certificate")
        if self.test_source_buffers:
            extra.append(f"num-buffers {self.test_source_buffers}")
        if self.enhanced_input:
            extra.append(f"{self.enhanced_input}.flv to node-media-server (recorded)")
        if self.live_clip:
            extra.append(f"{self.live_clip}.flv published to it")
        return (f"{self.role} {t.scheme}://…/{t.app}/{t.stream}"
                f"{' (vod)' if self.vod else ''} {', '.join(extra)}")


def _split_elements(tokens: list[str]) -> list[tuple[int, str, list[tuple[int, str, str]]]]:
    """[(token index, element name, [(token index, key, value), ...]), ...]"""
    elements = []
    for i, tok in enumerate(tokens):
        if tok == "!":
            continue
        m = re.match(r"^([A-Za-z_][\w-]*(?:::[\w-]+)?)=(.*)$", tok, re.S)  # pad::prop too
        if m:
            if not elements:
                raise Unclassifiable(f"property {tok!r} before any element")
            elements[-1][2].append((i, m.group(1), m.group(2)))
        elif re.match(r"^\w+\.[\w%]*$", tok):
            continue  # a pad reference such as d.video
        elif re.match(r"^[a-z]+/[\w.+-]+(,\S*)?$", tok):
            continue  # a caps filter such as video/x-raw,width=640
        elif re.match(r"^[a-z][a-z0-9_]*$", tok):
            elements.append((i, tok, []))
        else:
            raise Unclassifiable(f"cannot parse {tok!r}")
    return elements


def _target(token: int, value: str, overrides: dict[str, str]) -> Target:
    url, _, options = value.strip().partition(" ")
    m = URL_RE.match(url)
    if not m:
        raise Unclassifiable(f"location {value!r} is not an RTMP URL the test knows")
    path = m.group("path") or "/"
    app, _, stream = path.lstrip("/").rpartition("/")
    for opt in options.split():
        key, _, val = opt.partition("=")
        key = key.lower()
        if key == "app":
            app = val
        elif key == "playpath":
            stream = val
        elif key == "tcurl":
            raise Unclassifiable("tcUrl= would have to be rewritten too")
    app = overrides.get("application", app)
    stream = overrides.get("stream", stream)
    app = app.split("?", 1)[0]  # nginx-rtmp cuts the query off the application
    if not app or not stream:
        raise Unclassifiable(f"location {value!r}: no application or stream")
    return Target(token, m.group("scheme"), m.group("userinfo"), path, options, app, stream)


def classify(line: DocLine) -> Plan:
    try:
        words = shlex.split(line.text)
    except ValueError as e:
        raise Unclassifiable(f"shell syntax: {e}") from None
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        key, _, value = words.pop(0).partition("=")
        if ALLOWED_ENV.get(key) != value:
            raise Unclassifiable(f"environment {key}={value!r} is not one the test provides")
    if not words or words[0] != "gst-launch-1.0":
        raise Unclassifiable("not a gst-launch-1.0 command")
    words.pop(0)
    options = []
    while words and words[0].startswith("-"):
        if words[0] not in ALLOWED_OPTIONS:
            raise Unclassifiable(f"gst-launch-1.0 option {words[0]!r}")
        options.append(words.pop(0))
    plan = Plan(line, words, options=options)
    elements = _split_elements(words)
    if not elements:
        raise Unclassifiable("no elements")
    rtmp = [e for e in elements if e[1] in RTMP_ELEMENTS]
    if len(rtmp) > 1:
        raise Unclassifiable(f"{len(rtmp)} RTMP elements (the test runs lines with one)")
    for index, name, props in elements:
        keys = {k: (i, v) for i, k, v in props}
        if name in RTMP_ELEMENTS:
            continue
        if name == "filesrc":
            loc = keys.get("location", (None, None))[1]
            if loc not in PROVIDED_INPUTS:
                raise Unclassifiable(f"filesrc location={loc!r}: not a file the test provides")
            plan.inputs.append(loc)
        elif name == "filesink":
            loc = keys.get("location", (None, None))[1]
            if not loc or "/" in loc or loc in PROVIDED_INPUTS:
                raise Unclassifiable(f"filesink location={loc!r}: not a plain new file name")
            plan.outputs.append(loc)
        elif name in TEST_SOURCES:
            if "num-buffers" not in keys:
                words.insert(index + 1, f"num-buffers={TEST_SOURCES[name]}")
                return _reclassify(line, words, options)
            plan.test_source_buffers[name] = int(keys["num-buffers"][1])
            plan.sources.append((name, int(keys["num-buffers"][1])))
        elif name in DISPLAY_SINKS:
            words[index] = "fakesink"
            return _reclassify(line, words, options)
        elif name == "fakesink":
            if "silent" not in keys:
                sink_name = f"docsink{len(plan.observed_sinks)}"
                words[index + 1:index + 1] = [f"name={sink_name}", "silent=false"] \
                    if "name" not in keys else ["silent=false"]
                return _reclassify(line, words, options)
            plan.observed_sinks.append(keys["name"][1] if "name" in keys else "")
        elif name not in PLAIN_ELEMENTS:
            raise Unclassifiable(f"element {name!r} is not one the test knows how to run")
    if any(not s for s in plan.observed_sinks):
        raise Unclassifiable("a fakesink with silent= but without a name")
    if not rtmp:
        return _local(plan)

    _, rname, rprops = rtmp[0]
    plan.role = "publish" if rname == "rtmpsink" else "play"
    keys = {k: (i, v) for i, k, v in rprops}
    for forbidden in ("host", "port", "uri"):
        if forbidden in keys:
            raise Unclassifiable(f"{rname} {forbidden}= would bypass the host rewrite")
    if "location" not in keys:
        raise Unclassifiable(f"{rname} without location=")
    overrides = {k: keys[k][1] for k in ("application", "stream") if k in keys}
    plan.target = _target(keys["location"][0], keys["location"][1], overrides)
    if plan.role == "publish" and plan.target.app != LIVE_APP:
        raise Unclassifiable(f"publishing to application {plan.target.app!r}")
    if plan.role == "play" and plan.target.app not in (LIVE_APP, *VOD_APPS):
        raise Unclassifiable(f"playing from application {plan.target.app!r}")
    if plan.vod:
        _vod_file(plan.target.stream)  # raises for names the test cannot serve
    if plan.role == "publish" and not plan.inputs and not plan.test_source_buffers:
        raise Unclassifiable("publishing, but from neither in.flv nor a test source")
    if plan.enhanced_input and (len(plan.inputs) != 1 or plan.target.scheme != "rtmp" or
                                plan.target.userinfo or
                                {"proxy", "username", "password"} & set(keys)):
        raise Unclassifiable("an Enhanced RTMP clip is published over plain rtmp:// only, "
                             "alone (node-media-server checks it)")
    user = keys["username"][1] if "username" in keys else None
    password = keys["password"][1] if "password" in keys else None
    if plan.target.userinfo:
        u, _, pw = plan.target.userinfo.partition(":")
        user, password = user or urllib.parse.unquote(u), password or urllib.parse.unquote(pw)
    if user is not None or password is not None:
        if not user or not password:
            raise Unclassifiable("a user name without a password or the other way round")
        if plan.target.scheme != "rtmp" or "proxy" in keys:
            raise Unclassifiable("authentication is run over plain rtmp:// only")
        if keys.get("authmod", (0, "auto"))[1] not in ("auto", "adobe"):
            raise Unclassifiable(f"authmod={keys['authmod'][1]} (the gate speaks adobe)")
        plan.auth = (user, password)
    plan.secure_token = "secure-token" in keys or any(
        o.lower().startswith("token=") for o in plan.target.options.split())
    if "proxy" in keys:
        m = PROXY_RE.match(keys["proxy"][1])
        if not m:
            raise Unclassifiable(f"proxy {keys['proxy'][1]!r}: only socks5:// is provided")
        plan.proxy_token, plan.proxy_userinfo = keys["proxy"][0], m.group("userinfo")
        plan.proxy_scheme = m.group("scheme")
    if plan.target.scheme in ("rtmps", "rtmpts"):
        plan.tls_server = "self" if "tls-validation-flags" in keys else "ca"
        if "tls-ca-file" in keys:
            if plan.tls_server == "self":
                raise Unclassifiable("both tls-ca-file and tls-validation-flags")
            plan.tls_ca_token = keys["tls-ca-file"][0]
        if plan.target.scheme == "rtmpts" and plan.tls_server == "self":
            raise Unclassifiable("rtmpts:// with tls-validation-flags (no such gateway)")
    elif "tls-ca-file" in keys or "tls-validation-flags" in keys:
        raise Unclassifiable("TLS options without rtmps:// or rtmpts://")
    if plan.observed_sinks and "-v" not in plan.options:
        plan.options.append("-v")
    return plan


def _local(plan: Plan) -> Plan:
    """A line without an RTMP element: test sources into files (enhancedflvmux)."""
    if not plan.outputs or not plan.sources or plan.inputs:
        raise Unclassifiable("no RTMP element: only test sources into written files are run")
    plan.role = "local"
    if plan.observed_sinks and "-v" not in plan.options:
        plan.options.append("-v")
    return plan


def _reclassify(line: DocLine, words: list[str], options: list[str]) -> Plan:
    """classify() again after a rewrite of the arguments (one rewrite per pass)."""
    prefix = " ".join(shlex.quote(o) for o in options)
    return classify(DocLine(line.file, line.lineno,
                            f"gst-launch-1.0 {prefix} {shlex.join(words)}"))


def _vod_file(stream: str) -> tuple[str, str]:
    """(file name in the vod directory, format) nginx serves for a stream name."""
    kind, sep, name = stream.partition(":")
    if not sep:
        kind, name = "", stream
    if kind not in ("", "flv", "mp4"):
        raise Unclassifiable(f"vod stream {stream!r}")
    if "/" in name or not name:
        raise Unclassifiable(f"vod stream {stream!r}")
    ext = Path(name).suffix
    if ext not in ("", ".flv", ".mp4"):
        raise Unclassifiable(f"vod stream {stream!r}: no {ext} file is provided")
    if kind == "mp4" or name.endswith(".mp4"):
        return (name if name.endswith(".mp4") else name + ".mp4"), "mp4"
    return (name if name.endswith(".flv") else name + ".flv"), "flv"


LINES = extract_lines()


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

def _rewrite_url(value: str, target: Target, port: int) -> str:
    userinfo = f"{target.userinfo}@" if target.userinfo is not None else ""
    url = f"{target.scheme}://{userinfo}{H.LOOPBACK}:{port}{target.path}"
    return f"{url} {target.options}" if target.options else url


class _Launch:
    """gst-launch-1.0 in the background, its output in files (a pipe could fill up while the
    test is busy elsewhere, and stall the pipeline)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict, log_dir: Path):
        self.argv = argv
        self.out_path, self.err_path = log_dir / "stdout.log", log_dir / "stderr.log"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = H._spawn(argv, cwd=cwd, stdout=out, stderr=err, env=env)

    def result(self, timeout: float) -> H.GstResult:
        """Wait for the end (SIGKILL after timeout seconds) and reap."""
        timed_out = False
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if self.proc.poll() is None:
                H._kill_group(self.proc, signal.SIGKILL)
                self.proc.wait()
            H._forget(self.proc)
        return H.GstResult(self.proc.returncode, self.out_path.read_text(errors="replace"),
                           self.err_path.read_text(errors="replace"), timed_out,
                           tuple(self.argv))


@pytest.fixture(scope="module")
def docs_fixture(tools) -> Path:
    return H.make_fixture(seconds=4, bframes=2)


@pytest.fixture(scope="module")
def fixture_counts(docs_fixture) -> dict[str, int]:
    return H.count_frames(docs_fixture)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_support.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def enhanced_clips(tmp_path_factory) -> dict[str, Path]:
    """The Enhanced RTMP clips as FLV files (made when a line first needs one)."""
    d = tmp_path_factory.mktemp("enhanced")
    return {name: C.write_flv(d / f"{name}.flv", make()) for name, make in ENHANCED_CLIPS.items()}


def _serve_vod(plan: Plan, vod_dir: Path, fixture: Path) -> None:
    name, fmt = _vod_file(plan.target.stream)
    vod_dir.mkdir(exist_ok=True)
    if fmt == "flv":
        shutil.copyfile(fixture, vod_dir / name)
    else:
        r = subprocess.run([H.FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(fixture),
                            "-c", "copy", "-movflags", "+faststart", str(vod_dir / name)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr


def test_lines_found_and_classified():
    """The extractor finds the docs' lines, and every one is run or skipped with a reason."""
    per_file: dict[str, int] = {}
    for line in LINES:
        per_file[line.file] = per_file.get(line.file, 0) + 1
    for f, n in MIN_LINES.items():
        assert per_file.get(f, 0) >= n, f"{f}: {per_file.get(f, 0)} launch lines, " \
                                        f"expected at least {n}; found {per_file}"
    problems = []
    for line in LINES:
        if _skip_reason(line):
            continue
        try:
            plan = classify(line)
            print(f"{line.id}: {plan.describe()}")
        except Unclassifiable as e:
            problems.append(f"{line.id}: {e}\n    {line.text}")
    for (f, text), reason in SKIPPED.items():
        if not any(l.file == f and text in l.text for l in LINES):
            problems.append(f"SKIPPED entry matches no line: {f}: {text!r} ({reason})")
    assert not problems, "launch lines the test cannot run:\n" + "\n".join(problems)


def _skip_reason(line: DocLine) -> str | None:
    for (f, text), reason in SKIPPED.items():
        if line.file == f and text in line.text:
            return reason
    return None


@pytest.mark.parametrize("line", LINES, ids=[l.id for l in LINES])
def test_doc_line(line: DocLine, sink, tmp_path, docs_fixture, fixture_counts, pki, request):
    reason = _skip_reason(line)
    if reason:
        pytest.skip(reason)
    try:
        plan = classify(line)
    except Unclassifiable as e:
        pytest.fail(f"cannot classify {line.id}: {e}\n{line.text}")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    if plan.role == "local":
        _run_local(plan, run_dir, tmp_path)
        return
    clips = request.getfixturevalue("enhanced_clips") \
        if plan.enhanced_input or plan.live_clip else {}
    for name in plan.inputs:
        source = clips[name.removesuffix(".flv")] if name != "in.flv" else docs_fixture
        shutil.copyfile(source, run_dir / name)
    env = dict(os.environ)
    env["GST_DEBUG_NO_COLOR"] = "1"
    if plan.enhanced_input or plan.enhanced_encoders:
        return _publish_to_nms(plan, run_dir, env, tmp_path)
    # The "system store" of this run: the test CA only.
    (tmp_path / "no-certs").mkdir()
    env["SSL_CERT_FILE"] = str(pki.ca)
    env["SSL_CERT_DIR"] = str(tmp_path / "no-certs")

    vod_apps = "\n".join(f"application {a} {{ play @DIR@/vod; }}" for a in VOD_APPS)
    # nginx-rtmp reads an enhanced video tag's first nibble as a frame type that is never a key
    # frame: with `wait_key on` (its default) it relays no enhanced video (docs/enhanced-rtmp.md).
    live_extra = "wait_key off;" if plan.live_clip else ""
    with H.NginxRtmp(vod_apps, workdir=tmp_path / "nginx", live_extra=live_extra) as ng:
        tokens = list(plan.tokens)
        t = plan.target
        cleanup = []
        try:
            port = ng.port
            proxy = None
            gateway = None
            if t.scheme == "rtmps":
                tls = tls_support.TlsTerminator(ng.port, {"ca": pki.server,
                                                          "self": pki.self_signed},
                                                workdir=tmp_path / "tls").start()
                cleanup.append(tls.stop)
                port = tls.ports[plan.tls_server]
            elif t.scheme in ("rtmpt", "rtmpts"):
                certs = (pki.server.cert, pki.server.key) if t.scheme == "rtmpts" else None
                gateway = RtmptGateway(ng.port, tls=certs).start()
                cleanup.append(gateway.stop)
                port = gateway.port
            gate = None
            if plan.auth:
                gate = AdobeAuthGate(ng.port, *plan.auth).__enter__()
                cleanup.append(gate.stop)
                port = gate.port
            if plan.proxy_token is not None:
                if not socks_support.have_microsocks():
                    pytest.fail("microsocks is not installed (scripts/install-deps.sh)")
                proxy = socks_support.Microsocks(workdir=tmp_path / "socks").start()
                cleanup.append(proxy.stop)
                userinfo = f"{plan.proxy_userinfo}@" if plan.proxy_userinfo else ""
                tokens[plan.proxy_token] = \
                    f"proxy={plan.proxy_scheme}://{userinfo}{H.LOOPBACK}:{proxy.port}"
            if plan.tls_ca_token is not None:
                tokens[plan.tls_ca_token] = f"tls-ca-file={pki.ca}"
            key, _, value = tokens[t.token].partition("=")
            tokens[t.token] = f"{key}={_rewrite_url(value, t, port)}"
            _assert_loopback_only(tokens)
            argv = [H.GST_LAUNCH, *plan.options, *tokens]
            print("running:", shlex.join(argv))

            if plan.role == "publish":
                res = _Launch(argv, run_dir, env, tmp_path).result(PUBLISH_TIMEOUT)
                assert res.returncode == 0 and not res.timed_out, res.describe()
                recorded = ng.wait_recorded(t.stream)
                counts = H.count_frames(recorded)
                if plan.inputs:
                    assert counts == fixture_counts, \
                        f"nginx recorded {counts}, in.flv has {fixture_counts}"
                else:
                    video = plan.test_source_buffers.get("videotestsrc")
                    audio = plan.test_source_buffers.get("audiotestsrc")
                    if video:
                        assert counts.get("video") == video, f"nginx recorded {counts}"
                    if audio:
                        assert counts.get("audio", 0) > 0, f"nginx recorded {counts}"
            elif plan.vod:
                _serve_vod(plan, ng.dir / "vod", docs_fixture)
                res = _Launch(argv, run_dir, env, tmp_path).result(PLAY_TIMEOUT)
                assert res.returncode == 0 and not res.timed_out, res.describe()
                assert "Got EOS" in res.stdout, res.describe()
            else:
                published = clips[plan.live_clip] if plan.live_clip else docs_fixture
                res = _play_live(argv, run_dir, env, ng, t.stream, published, tmp_path)
                assert res.returncode == 0 and not res.timed_out, res.describe()
                assert "Got EOS" in res.stdout, res.describe()

            for name in plan.observed_sinks:
                # gst-launch -v prints fakesink's last-message for every buffer
                n = len(re.findall(rf"last-message = chain .*\({re.escape(name)}:sink\)",
                                   res.stdout))
                print(f"{name}: {n} buffers")
                assert n > 0, f"no buffer reached {name}:\n{res.describe()}"
            for out in plan.outputs:
                counts = H.count_frames(run_dir / out)
                assert counts.get("video") == fixture_counts["video"] and \
                    counts.get("audio", 0) > 0, \
                    f"{out}: {counts}, the served file has {fixture_counts}"
            if proxy is not None:
                proxy.stop()
                assert f"{H.LOOPBACK}:{ng.port}" in proxy.connections(), proxy.log()
            if gate is not None:
                what = [e for e, _app in gate.events]
                assert "challenge" in what and what[-1] == "accepted" and \
                    "refused" not in what, gate.events
            if gateway is not None:
                assert gateway.problems == [] and "open" in gateway.commands(), \
                    (gateway.problems, gateway.commands()[:10])
            assert ng.log_problems() == []
        finally:
            for stop in reversed(cleanup):
                stop()


def _flv_frames(path: Path) -> dict[tuple[str, int], int]:
    """Coded frames per (media, track id) in an FLV file: legacy tags, Enhanced RTMP tags and
    multitrack OneTrack tags (what enhancedflvmux writes)."""
    out: dict[tuple[str, int], int] = {}
    for t in H.read_flv(path).tags:
        d, track = t.data, 0
        if t.type == H.TAG_VIDEO and d:
            media = "video"
            if d[0] & 0x80:  # IsExHeader: VideoPacketType 1 CodedFrames, 3 CodedFramesX
                packet = d[0] & 0x0F
                if packet == 6:  # Multitrack: packet type, FourCC, track id
                    packet, track = d[1] & 0x0F, d[6]
                frame = packet in (1, 3)
            else:  # legacy: AVC needs AVCPacketType 1
                frame = (d[0] & 0x0F) != 7 or d[1] == 1
        elif t.type == H.TAG_AUDIO and d:
            media = "audio"
            if d[0] >> 4 == 9:  # ExHeader: AudioPacketType 1 CodedFrames
                packet = d[0] & 0x0F
                if packet == 5:
                    packet, track = d[1] & 0x0F, d[6]
                frame = packet == 1
            else:  # legacy: AAC needs AACPacketType 1
                frame = d[0] >> 4 != 10 or d[1] == 1
        else:
            continue
        if frame:
            out[(media, track)] = out.get((media, track), 0) + 1
    return out


def _run_local(plan: Plan, run_dir: Path, log_dir: Path) -> None:
    env = dict(os.environ, GST_DEBUG_NO_COLOR="1")
    argv = [H.GST_LAUNCH, *plan.options, *plan.tokens]
    print("running:", shlex.join(argv))
    res = _Launch(argv, run_dir, env, log_dir).result(PUBLISH_TIMEOUT)
    assert res.returncode == 0 and not res.timed_out, res.describe()
    for name in plan.observed_sinks:
        assert re.search(rf"last-message = chain .*\({re.escape(name)}:sink\)", res.stdout), \
            f"no buffer reached {name}:\n{res.describe()}"
    for out in plan.outputs:
        _check_frames(run_dir / out, plan)


def _check_frames(flv: Path, plan: Plan) -> None:
    """Per video track, as many coded frames as one of the line's videotestsrc elements made;
    one audio track with frames per audiotestsrc."""
    videos = sorted(n for s, n in plan.sources if s == "videotestsrc")
    audios = sum(1 for s, _ in plan.sources if s == "audiotestsrc")
    frames = _flv_frames(flv)
    print(f"{flv.name}: {frames}")
    assert sorted(n for (m, _), n in frames.items() if m == "video") == videos, frames
    audio = [n for (m, _), n in frames.items() if m == "audio"]
    assert len(audio) == audios and all(audio), frames


def _publish_to_nms(plan: Plan, run_dir: Path, env: dict, tmp_path: Path) -> None:
    """A line that publishes Enhanced RTMP, against node-media-server with recording on. An
    Enhanced RTMP clip: every audio and video tag of the file must be recorded unchanged.
    Encoders into enhancedflvmux: every video frame of each videotestsrc, and audio."""
    problem = N.nms_problem()
    if problem:
        pytest.fail(problem)
    t = plan.target
    with N.NodeMediaServer(record=True, workdir=tmp_path / "nms") as server:
        tokens = list(plan.tokens)
        key, _, value = tokens[t.token].partition("=")
        tokens[t.token] = f"{key}={_rewrite_url(value, t, server.port)}"
        _assert_loopback_only(tokens)
        argv = [H.GST_LAUNCH, *plan.options, *tokens]
        print("running:", shlex.join(argv))
        res = _Launch(argv, run_dir, env, tmp_path).result(PUBLISH_TIMEOUT)
        assert res.returncode == 0 and not res.timed_out, res.describe()
        server.wait_no_publisher(t.app, t.stream)
        recordings = server.recordings(t.app, t.stream)
        assert len(recordings) == 1, (recordings, server.log_text())
        H.wait_file_stable(recordings[0], stable_for=0.3, timeout=10)
        assert server.log_problems() == []
        if not plan.enhanced_input:
            _check_frames(recordings[0], plan)
            return
        got = C.media_tags(C.read_tags(recordings[0].read_bytes()))
        sent = C.media_tags(C.read_tags((run_dir / plan.inputs[0]).read_bytes()))
        assert got == sent, f"node-media-server recorded {len(got)} audio/video tags, " \
                            f"{sum(a != b for a, b in zip(got, sent))} differing, of {len(sent)}"
        assert server.log_problems() == []


def _assert_loopback_only(tokens: list[str]) -> None:
    """Nothing in the rewritten arguments may point anywhere but 127.0.0.1."""
    for tok in tokens:
        for m in re.finditer(r"(?:rtmp[st]{0,2}|socks\w*)://(?:[^@/\s]*@)?([^/:\s]+)", tok):
            assert m.group(1) == H.LOOPBACK, f"{tok!r} still points to {m.group(1)}"


def _play_live(argv, run_dir, env, ng, stream, fixture, log_dir) -> H.GstResult:
    """Start the playing line, publish the test FLV once it is subscribed, let it end."""
    player = _Launch(argv, run_dir, env, log_dir)
    try:
        ng.wait_player(LIVE_APP, stream, timeout=20)
        pub = H.gst_launch(f"filesrc location={fixture} ! rtmpsink sync=false "
                           f"location={ng.url(LIVE_APP, stream)}", timeout=PUBLISH_TIMEOUT)
        assert pub.returncode == 0 and not pub.timed_out, pub.describe()
    except BaseException:
        print(player.result(0).describe())
        raise
    return player.result(PLAY_TIMEOUT)


def test_auth_gate_refuses_a_wrong_password(sink, tmp_path, docs_fixture):
    """The gate that docs lines with credentials run against does check them."""
    with H.NginxRtmp(workdir=tmp_path / "nginx") as ng, \
            AdobeAuthGate(ng.port, "alice", "secret") as gate:
        res = H.gst_launch(f"filesrc location={docs_fixture} ! rtmpsink sync=false "
                           f"location=rtmp://{H.LOOPBACK}:{gate.port}/live/key "
                           f"username=alice password=not-the-secret", timeout=PUBLISH_TIMEOUT)
        assert res.returncode != 0 and not res.timed_out, res.describe()
        assert "authentication failed" in res.stderr, res.describe()
        assert [e for e, _app in gate.events] == ["need-auth", "challenge", "refused"], \
            gate.events
        assert not ng.recorded("key").exists()
