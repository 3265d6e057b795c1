"""Helpers for the live publishing tests (test_live.py, test_live_files.py): files at a given
bit rate, a subscriber that notes when each tag arrived (arrival_probe.py), a publisher whose
bus messages carry times and that can note when each tag was produced (timed_launch.py), FLV
read up to its last complete tag, and the figures the tests judge: per-frame delays, GOPs."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import harness as H

HERE = Path(__file__).resolve().parent
PROBE = HERE / "arrival_probe.py"
TIMED_LAUNCH = HERE / "timed_launch.py"


# --------------------------------------------------------------------------
# A file at a given bit rate
# --------------------------------------------------------------------------

def rate_fixture(seconds: int, video_kbps: int) -> Path:
    """An H.264 (2 B-frames, a key frame a second) + AAC (64 kbit/s) FLV of `seconds`, whose
    video takes `video_kbps` (noise keeps the encoder from doing with less), built once into
    the cache directory."""
    path = H.cache_dir() / f"rate-{seconds}s-{video_kbps}k-v1.flv"
    if path.exists():
        return path
    tmp = path.with_suffix(f".tmp{os.getpid()}.flv")
    cmd = [H.FFMPEG, "-nostdin", "-v", "error", "-y",
           "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
           "-t", str(seconds), "-map", "0:v", "-map", "1:a", "-vf", "noise=alls=40:allf=t",
           "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
           "-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k",
           "-bufsize", f"{video_kbps // 2}k", "-g", "25", "-bf", "2",
           "-c:a", "aac", "-ar", "44100", "-b:a", "64k", "-f", "flv", str(tmp)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"fixture build failed: {' '.join(cmd)}\n{r.stderr}")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------
# FLV, as far as it is complete
# --------------------------------------------------------------------------

class Tag(NamedTuple):
    type: int
    timestamp: int
    data: bytes
    end: int            # offset just past the tag (and its PreviousTagSize) in the stream

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()

    @property
    def is_audio_frame(self) -> bool:
        """An audio tag that is not an AAC sequence header."""
        d = self.data
        return self.type == H.TAG_AUDIO and not (len(d) >= 2 and d[0] >> 4 == 10 and d[1] == 0)

    @property
    def is_video_frame(self) -> bool:
        """An AVC coded frame (not a sequence header or end of sequence)."""
        d = self.data
        return self.type == H.TAG_VIDEO and len(d) >= 2 and d[0] & 15 == 7 and d[1] == 1

    @property
    def keyframe(self) -> bool:
        return self.type == H.TAG_VIDEO and bool(self.data) and self.data[0] >> 4 == 1


def read_tags(path: Path) -> list[Tag]:
    """The tags of an FLV byte stream, up to the last complete one."""
    return [Tag(t.type, t.timestamp, t.data, t.offset + 11 + len(t.data) + 4)
            for t in H.complete_tags(Path(path).read_bytes())]


# --------------------------------------------------------------------------
# A subscriber that notes arrival times
# --------------------------------------------------------------------------

class Arrival(NamedTuple):
    tag: Tag
    at: float           # CLOCK_MONOTONIC seconds when its last byte came out of rtmp2src


def tag_times(flv: Path, marks_path: Path) -> list[Arrival]:
    """Each complete tag of the byte stream `flv`, with the time its last byte passed, from
    `marks_path`: lines `<CLOCK_MONOTONIC ns> <end offset>` (arrival_probe.py, timed_launch.py
    --times)."""
    marks = []
    for line in Path(marks_path).read_text().splitlines():
        ns, end = line.split()
        marks.append((int(end), int(ns) / 1e9))
    out, i = [], 0
    for tag in read_tags(flv):
        while i < len(marks) and marks[i][0] < tag.end:
            i += 1
        if i == len(marks):
            break
        out.append(Arrival(tag, marks[i][1]))
    return out


class Subscriber(H.BackgroundProcess):
    """arrival_probe.py on `url`, writing `out` and `out`.arrivals."""

    def __init__(self, url: str, out: Path):
        self.out = Path(out)
        super().__init__([sys.executable, PROBE, url, out], self.out.with_suffix(".log"))

    def wait_ready(self, server: H.NginxRtmp, stream: str) -> None:
        server.wait_player("live", stream, timeout=30)

    def wait_quiet(self, quiet: float = 1.0, timeout: float = 60.0) -> None:
        """Until nothing arrived for `quiet` seconds."""
        H.wait_file_stable(self.out, stable_for=quiet, timeout=timeout, min_size=0)

    def arrivals(self) -> list[Arrival]:
        return tag_times(self.out, Path(str(self.out) + ".arrivals"))


# --------------------------------------------------------------------------
# A publisher with timed bus messages
# --------------------------------------------------------------------------

FIELD_RE = re.compile(r"([\w-]+)=\((\w+)\)(\"(?:[^\"\\]|\\.)*\"|[^,;]+)")


def structure_fields(text: str) -> dict[str, object]:
    """Fields of a GstStructure's text form, typed (booleans, numbers, strings)."""
    out: dict[str, object] = {}
    for name, typ, raw in FIELD_RE.findall(text):
        raw = raw.strip()
        if typ == "boolean":
            out[name] = raw in ("true", "1", "TRUE")
        elif typ in ("double", "float"):
            out[name] = float(raw)
        elif typ in ("int", "uint", "gint64", "guint64", "long", "ulong"):
            out[name] = int(raw)
        else:
            out[name] = raw.strip('"')
    return out


class Message(NamedTuple):
    at: float           # CLOCK_MONOTONIC seconds
    kind: str           # element, error, eos, stats, playing, sending
    name: str           # the structure's name (element messages, stats)
    fields: dict
    text: str


class Publisher(H.BackgroundProcess):
    """timed_launch.py running `pipeline` (its rtmpsink named "sink"); `times`: (element, file)
    for timed_launch.py --times."""

    def __init__(self, pipeline: str, log: Path, times: tuple[str, Path] | None = None):
        extra = ["--times", times[0], str(times[1])] if times else []
        super().__init__([sys.executable, TIMED_LAUNCH, pipeline, *extra], log, grace=20.0)

    def messages(self) -> list[Message]:
        out = []
        for line in self.log().splitlines():
            m = re.match(r"^(\d+) (\w+) ?(.*)$", line)
            if not m:
                continue
            at, kind, rest = int(m.group(1)) / 1e9, m.group(2), m.group(3)
            name, fields = "", {}
            if kind == "element":
                _src, _, structure = rest.partition(" ")
                name = structure.split(",", 1)[0].strip()
                fields = structure_fields(structure)
            elif kind == "stats":
                name = rest.split(",", 1)[0].strip()
                fields = structure_fields(rest)
            out.append(Message(at, kind, name, fields, rest))
        return out

    def congestion(self) -> list[Message]:
        return [m for m in self.messages() if m.name == "rtmp-congestion"]

    def stats(self) -> dict:
        s = [m for m in self.messages() if m.kind == "stats"]
        return s[-1].fields if s else {}

    def interrupt(self) -> None:
        """SIGINT: the pipeline gets EOS and ends by itself."""
        import signal
        self.proc.send_signal(signal.SIGINT)


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def relative_delays(arrivals: list[Arrival]) -> list[tuple[float, float]]:
    """(arrival time, delay) per audio or video frame: the time between its media timestamp and
    its arrival, less the smallest such time in the run (the path's fixed part). Metadata and
    sequence headers are left out: the server sends them when it likes (nginx-rtmp sends
    metadata at once, and again with the first frames)."""
    raw = [(a.at, a.at - a.tag.timestamp / 1000.0) for a in arrivals
           if a.tag.is_audio_frame or a.tag.is_video_frame]
    if not raw:
        return []
    floor = min(d for _, d in raw)
    return [(at, d - floor) for at, d in raw]


def transit_delays(produced: list[Arrival], arrived: list[Arrival]) -> list[tuple[float, float]]:
    """(arrival time, seconds from production to arrival) of each audio or video frame that
    arrived, matched in order by timestamp and content."""
    key = lambda t: (t.type, t.timestamp, t.md5)  # noqa: E731
    made: dict[tuple, list[float]] = {}
    for p in produced:
        if p.tag.is_audio_frame or p.tag.is_video_frame:
            made.setdefault(key(p.tag), []).append(p.at)
    out = []
    for a in arrived:
        if a.tag.is_audio_frame or a.tag.is_video_frame:
            times = made.get(key(a.tag))
            assert times, f"arrived but never produced: {a.tag.type} ts {a.tag.timestamp}"
            out.append((a.at, a.at - times.pop(0)))
    return out


def frame_keys(tags: list[Tag], kind: str) -> list[str]:
    """"timestamp:md5" of each audio or video frame (sequence headers left out: servers repeat
    them)."""
    pick = (lambda t: t.is_audio_frame) if kind == "audio" else (lambda t: t.is_video_frame)
    return [f"{t.timestamp}:{t.md5}" for t in tags if pick(t)]


def assert_subscriber_got(recorded: list[Tag], got: list[Tag], name: str) -> None:
    """The subscriber got what the server recorded, in order, up to the end of the stream.
    rtmp2src does not always hand on the last tag or two before the server's end of stream
    (measured: the AVC end of sequence, or the last frame and it), so a tail of the stream's
    last second may be missing; everything before it must be there."""
    for kind in ("audio", "video"):
        want, have = frame_keys(recorded, kind), frame_keys(got, kind)
        assert have == want[:len(have)], f"{name}: the subscriber's {kind} frames differ"
        frames = [t for t in recorded if (t.is_audio_frame if kind == "audio"
                                           else t.is_video_frame)]
        if len(have) < len(want):
            first_missing = frames[len(have)]
            assert first_missing.timestamp >= frames[-1].timestamp - 1000, \
                f"{name}: the subscriber lacks {kind} frames from ts {first_missing.timestamp}"


def gops(tags: list[Tag]) -> list[list[Tag]]:
    """The video frames of a stream, split at key frames."""
    out: list[list[Tag]] = []
    for t in tags:
        if not t.is_video_frame:
            continue
        if t.keyframe or not out:
            out.append([])
        out[-1].append(t)
    return out
