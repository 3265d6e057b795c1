"""Integration-test harness: media fixtures built with ffmpeg and packet-level
comparisons (framemd5 / ffprobe)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, NamedTuple

from external_tools import FFMPEG, FFPROBE


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
