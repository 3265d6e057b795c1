"""enhancedflvmux with Debian 12's real encoders, parsers and decoders.

Each stream is encoded (x264, x265, libaom, libvpx VP9 and VP8, libopus, libFLAC, voaac, LAME,
FFmpeg's AC-3 and E-AC-3), teed: one branch into enhancedflvmux ! filesink, the other into an
appsink that keeps every encoded packet. The file is then read with filesrc ! enhancedflvdemux:
every packet must come out unchanged (bytes, key-frame flag, timestamps to the millisecond,
relative to the stream's first decoding time) and the real decoders must decode every frame
without an error. Also: two video and two audio tracks in one file; legacy H.264 + AAC output
read by FFmpeg 5.1 (ffprobe, packet by packet) and by GStreamer 1.22's flvdemux; a seek through
the keyframes index the muxer wrote into the file.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness as H
from eflv_media import Gst

VIDEO = "videotestsrc num-buffers={n} ! video/x-raw,format=I420,width={w},height={h},framerate=25/1"
AUDIO = "audiotestsrc num-buffers={n} samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2"

# name -> (kind, encoder chain, decoder chain, decoded buffers wanted: "all" frames or "most")
CODECS = {
    "h264": ("video", "x264enc speed-preset=ultrafast key-int-max=25 bframes=2 ! h264parse",
             "h264parse ! avdec_h264", "all"),
    "h265": ("video", "x265enc speed-preset=ultrafast key-int-max=25 ! h265parse",
             "h265parse ! avdec_h265", "all"),
    "av1": ("video", "av1enc cpu-used=8 usage-profile=realtime lag-in-frames=0 "
            "keyframe-max-dist=25 target-bitrate=300 ! av1parse", "av1parse ! av1dec", "all"),
    "vp9": ("video", "vp9enc deadline=1 cpu-used=8 keyframe-max-dist=25", "vp9parse ! vp9dec",
            "all"),
    "vp8": ("video", "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=25", "vp8dec", "all"),
    "aac": ("audio", "voaacenc ! aacparse", "aacparse ! avdec_aac", "all"),
    "mp3": ("audio", "lamemp3enc ! mpegaudioparse", "mpegaudioparse ! mpg123audiodec", "most"),
    "opus": ("audio", "opusenc", "opusparse ! opusdec", "all"),
    "flac": ("audio", "flacenc ! flacparse", "flacparse ! flacdec", "all"),
    "ac3": ("audio", "audioconvert ! avenc_ac3 ! ac3parse", "ac3parse ! avdec_ac3", "all"),
    "eac3": ("audio", "audioconvert ! avenc_eac3 ! ac3parse", "ac3parse ! avdec_eac3", "all"),
}
# Headers that flacenc (and in some versions opusenc) also push in band: they are the
# SequenceStart, not frames.
IN_BAND_HEADERS = ("flac", "opus")


@dataclass
class Packet:
    md5: str
    pts: int   # ns, or -1
    dts: int
    key: bool
    header: bool


def packet(buf: Gst.Buffer) -> Packet:
    data = buf.extract_dup(0, buf.get_size())
    none = Gst.CLOCK_TIME_NONE
    return Packet(hashlib.md5(data).hexdigest(), -1 if buf.pts == none else buf.pts,
                  -1 if buf.dts == none else buf.dts,
                  not buf.has_flags(Gst.BufferFlags.DELTA_UNIT),
                  buf.has_flags(Gst.BufferFlags.HEADER))


class Run:
    """A pipeline run in this process to EOS: the packets each appsink got (probes on their
    pads), the buffers each counted fakesink got."""

    def __init__(self, description: str, keep: tuple[str, ...] = (), count: tuple[str, ...] = ()):
        self.pipeline = Gst.parse_launch(description)
        self.packets: dict[str, list[Packet]] = {name: [] for name in keep}
        self.counts = {name: 0 for name in count}
        for name in keep:
            self._probe(name, lambda n, buf: self.packets[n].append(packet(buf)))
        for name in count:
            self._probe(name, lambda n, _buf: self.counts.__setitem__(n, self.counts[n] + 1))

    def _probe(self, name, fn):
        def on_buffer(_pad, info):
            fn(name, info.get_buffer())
            return Gst.PadProbeReturn.OK
        self.pipeline.get_by_name(name).get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, on_buffer)

    def run(self, timeout: float = 120.0) -> None:
        """To EOS, without an error or a warning."""
        self.pipeline.set_state(Gst.State.PLAYING)
        bus = self.pipeline.get_bus()
        kinds = Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING
        warnings = []
        while True:
            msg = bus.timed_pop_filtered(int(timeout * Gst.SECOND), kinds)
            if msg is None or msg.type != Gst.MessageType.WARNING:
                break
            warnings.append(str(msg.parse_warning()))
        self.pipeline.set_state(Gst.State.NULL)
        assert msg is not None, "timeout"
        assert msg.type == Gst.MessageType.EOS, msg.parse_error()
        assert not warnings, warnings


def source(kind: str, n: int, w: int = 320, h: int = 240) -> str:
    return (VIDEO if kind == "video" else AUDIO).format(n=n, w=w, h=h)


def encode_and_mux(out: Path, tracks: list[tuple[str, str, str]], mux: str = "") -> Run:
    """tracks: (pad, codec, source); each encoded stream teed into the muxer and an appsink named
    after its pad."""
    desc = [f"enhancedflvmux name=m {mux} ! filesink location={out}"]
    for pad, codec, src in tracks:
        desc.append(f"{src} ! {CODECS[codec][1]} ! tee name=t_{pad} ! queue ! m.{pad} "
                    f"t_{pad}. ! queue ! fakesink name={pad} sync=false")
    run = Run(" ".join(desc), keep=tuple(p for p, _, _ in tracks))
    run.run()
    return run


def demux_and_decode(path: Path, tracks: list[tuple[str, str]]) -> Run:
    """tracks: (pad, codec); each demuxed pad teed into a keeping fakesink (named after the pad)
    and the codec's parser and decoder (fakesink dec_<pad>)."""
    desc = [f"filesrc location={path} ! enhancedflvdemux name=d"]
    for pad, codec in tracks:
        desc.append(f"d.{pad} ! tee name=t_{pad} ! queue ! fakesink name={pad} sync=false "
                    f"t_{pad}. ! queue ! {CODECS[codec][2]} ! fakesink name=dec_{pad} sync=false")
    run = Run(" ".join(desc), keep=tuple(p for p, _ in tracks),
              count=tuple(f"dec_{p}" for p, _ in tracks))
    run.run()
    return run


def expected_packets(codec: str, encoded: list[Packet]) -> list[Packet]:
    """What the demuxer gives back for the encoder's packets: the same bytes and key flags, the
    times in whole ms from the first decoding time (the FLV timestamp and composition time)."""
    packets = [p for p in encoded if not (codec in IN_BAND_HEADERS and p.header)]
    dts = [p.dts if p.dts >= 0 else p.pts for p in packets]
    origin = min(dts)
    out = []
    for p, d in zip(packets, dts):
        d_ms = (d - origin) // 1_000_000
        pts_ms = (p.pts - origin) // 1_000_000 if p.pts >= 0 else d_ms
        if CODECS[codec][0] == "audio" or codec in ("av1", "vp9", "vp8"):
            pts_ms = d_ms  # no composition time in these tags
        out.append(Packet(p.md5, pts_ms * 1_000_000, d_ms * 1_000_000,
                          p.key or CODECS[codec][0] == "audio", False))
    return out


def assert_same_packets(codec: str, got: list[Packet], encoded: list[Packet],
                        exact_times: bool = True) -> None:
    """exact_times: the stream's first decoding time is the file's origin (one track); else the
    times are compared relative to the first packet, to the millisecond (the origin is another
    track's, and ms rounding may differ by one)."""
    want = expected_packets(codec, encoded)
    assert len(got) == len(want), f"{codec}: {len(got)} packets out, {len(want)} encoded"
    for i, (g, w) in enumerate(zip(got, want)):
        assert (g.md5, g.key) == (w.md5, w.key), f"{codec}: packet {i} differs: {g} vs {w}"
        if exact_times:
            assert (g.pts, g.dts) == (w.pts, w.dts), f"{codec}: packet {i} times: {g} vs {w}"
        else:
            for a, b in ((g.pts - got[0].pts, w.pts - want[0].pts),
                         (g.dts - got[0].dts, w.dts - want[0].dts)):
                assert abs(a - b) <= 1_000_000, f"{codec}: packet {i} times: {g} vs {w}"


def assert_decoded(codec: str, decoded: int, frames: int) -> None:
    if CODECS[codec][3] == "all":
        assert decoded == frames, f"{codec}: {decoded} decoded buffers for {frames} frames"
    else:
        assert frames - 2 <= decoded <= frames, f"{codec}: {decoded} decoded for {frames}"


@pytest.mark.parametrize("codec", list(CODECS))
def test_codec_round_trip(tools, tmp_path, codec):
    kind = CODECS[codec][0]
    out = tmp_path / f"{codec}.flv"
    pad = f"{kind}_0"
    enc = encode_and_mux(out, [(pad, codec, source(kind, 50))])
    got = demux_and_decode(out, [(pad, codec)])
    frames = len(expected_packets(codec, enc.packets[pad]))
    assert frames >= (40 if kind == "video" else 10), frames
    assert_same_packets(codec, got.packets[pad], enc.packets[pad])
    assert_decoded(codec, got.counts[f"dec_{pad}"], frames)


def test_two_video_and_two_audio_tracks(tools, tmp_path):
    out = tmp_path / "multi.flv"
    tracks = [("video_0", "h264", source("video", 40, 640, 360)),
              ("video_1", "h265", source("video", 40, 320, 180)),
              ("audio_0", "aac", source("audio", 60)),
              ("audio_1", "opus", source("audio", 60))]
    enc = encode_and_mux(out, tracks)
    got = demux_and_decode(out, [(p, c) for p, c, _ in tracks])
    for pad, codec, _ in tracks:
        assert_same_packets(codec, got.packets[pad], enc.packets[pad], exact_times=False)
        assert_decoded(codec, got.counts[f"dec_{pad}"],
                       len(expected_packets(codec, enc.packets[pad])))


def ffprobe_packets(path: Path) -> dict[str, list[tuple[str, int]]]:
    r = subprocess.run([H.FFPROBE, "-v", "error", "-show_packets", "-show_data_hash", "MD5",
                        "-of", "json", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    out: dict[str, list[tuple[str, int]]] = {"video": [], "audio": []}
    for p in json.loads(r.stdout)["packets"]:
        out[p["codec_type"]].append((p["data_hash"].removeprefix("MD5:"), int(p["pts"])))
    return out


def test_legacy_h264_aac_read_by_ffmpeg_and_flvdemux(tools, tmp_path):
    out = tmp_path / "legacy.flv"
    enc = encode_and_mux(out, [("video_0", "h264", source("video", 50)),
                               ("audio_0", "aac", source("audio", 50))])
    want = {"video": expected_packets("h264", enc.packets["video_0"]),
            "audio": expected_packets("aac", enc.packets["audio_0"])}
    got = ffprobe_packets(out)
    for kind in ("video", "audio"):
        assert [p.md5 for p in want[kind]] == [md5 for md5, _ in got[kind]], kind
        for i, (p, (_, pts)) in enumerate(zip(want[kind], got[kind])):
            expected = (p.pts - want[kind][0].pts) // 1_000_000
            assert abs(pts - got[kind][0][1] - expected) <= 1, (kind, i, pts, expected)
    run = Run(f"filesrc location={out} ! flvdemux name=d d.video ! queue ! fakesink name=v "
              "sync=false d.audio ! queue ! fakesink name=a sync=false", keep=("v", "a"))
    run.run()
    assert [p.md5 for p in run.packets["v"]] == [p.md5 for p in want["video"]]
    assert [p.md5 for p in run.packets["a"]] == [p.md5 for p in want["audio"]]


def test_seek_in_a_muxed_file(tools, tmp_path):
    """filesink can seek: the muxer writes duration and a keyframes index at the end, and
    enhancedflvdemux seeks the file through it (HEVC + Opus, key frames every second)."""
    out = tmp_path / "seek.flv"
    enc = encode_and_mux(out, [("video_0", "h265", source("video", 75)),
                               ("audio_0", "opus", source("audio", 140))])
    keys = [p for p in expected_packets("h265", enc.packets["video_0"]) if p.key]
    assert len(keys) >= 3, keys
    pipeline = Gst.parse_launch(f"filesrc location={out} ! enhancedflvdemux name=d "
                                "d.video_0 ! queue ! h265parse ! avdec_h265 ! fakesink name=v "
                                "sync=false d.audio_0 ! queue ! opusdec ! fakesink sync=false")
    pts = []
    pipeline.get_by_name("v").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER,
        lambda _p, info: (pts.append(info.get_buffer().pts), Gst.PadProbeReturn.OK)[1])
    pipeline.set_state(Gst.State.PAUSED)
    bus = pipeline.get_bus()
    msg = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
    assert msg is not None and msg.type == Gst.MessageType.ASYNC_DONE, msg
    ok, duration = pipeline.query_duration(Gst.Format.TIME)
    assert ok and abs(duration - 3 * Gst.SECOND) <= 100 * Gst.MSECOND, duration
    pts.clear()
    target = keys[2].pts + 500 * Gst.MSECOND
    assert pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT,
                                target)
    pipeline.set_state(Gst.State.PLAYING)
    msg = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    assert msg is not None and msg.type == Gst.MessageType.EOS, msg and msg.parse_error()
    assert pts and min(pts) == keys[2].pts, (keys[2].pts, pts[:3])


def _is_sequence_start(tag) -> bool:
    d = tag.data
    if tag.type == H.TAG_VIDEO:
        if d[0] & 0x80:  # ExHeader; Multitrack (6): the packet type follows
            return (d[1] if d[0] & 0x0F == 6 else d[0]) & 0x0F == 0
        return d[0] & 0x0F == 7 and d[1] == 0  # AVC sequence header
    if d[0] >> 4 == 9:  # ExHeader; Multitrack (5): the packet type follows
        return (d[1] if d[0] & 0x0F == 5 else d[0]) & 0x0F == 0
    return d[0] >> 4 == 10 and d[1] == 0  # AAC sequence header


def test_live_inputs_all_start_the_stream(tools, tmp_path):
    """Live sources, and x265enc (default settings) gives its first frame a few hundred ms
    after the others: the stream still starts with onMetaData naming all four tracks and the
    four sequence starts, before any frame (docs/enhanced-flv-mux.md, Timestamps and order)."""
    out = tmp_path / "live.flv"
    live_video = "videotestsrc is-live=true num-buffers=40 ! video/x-raw,width={w},height={h}"
    live_audio = "audiotestsrc is-live=true num-buffers=60 ! audio/x-raw,rate=48000,channels=2"
    desc = (f"enhancedflvmux name=m ! filesink location={out} "
            f"{live_video.format(w=320, h=240)} ! x264enc tune=zerolatency ! h264parse ! "
            f"m.video_0 {live_video.format(w=160, h=120)} ! x265enc speed-preset=ultrafast ! "
            f"h265parse ! m.video_1 {live_audio} ! opusenc ! m.audio_0 "
            f"{live_audio} ! flacenc ! m.audio_1")
    res = H.gst_launch(desc, timeout=60)
    assert res.returncode == 0 and not res.timed_out, res.describe()
    tags = H.read_flv(out).tags
    assert tags[0].type == H.TAG_SCRIPT
    for name in (b"videoTrackIdInfoMap", b"audioTrackIdInfoMap"):
        assert name in tags[0].data, f"onMetaData without {name}"
    head = tags[1:5]
    assert all(_is_sequence_start(t) for t in head), [t.data[:8].hex() for t in head]
    assert sorted(t.type for t in head) == [H.TAG_AUDIO, H.TAG_AUDIO, H.TAG_VIDEO, H.TAG_VIDEO]
