"""enhancedflvdemux against Debian 12's real parsers and decoders.

The enhanced FLV files are made here from real encoder output (eflv_media.py: x265, libaom,
libvpx, libopus, libFLAC, voaac, LAME, FFmpeg's AC-3/E-AC-3 through GStreamer, written as
Enhanced RTMP v2 tags by the test's own writer, not by the plugin). Each must decode every
frame through `filesrc ! enhancedflvdemux ! <parser> ! <decoder> ! fakesink`; playbin must pick
enhancedflvdemux for them and flvdemux for a legacy FLV; a seek through the onMetaData keyframes
index lands on a key frame; and the same files published with rtmpsink to nginx-rtmp play back
through `rtmpsrc ! enhancedflvdemux` and `playbin uri=rtmp://`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import eflv_media as E
import harness as H
from eflv_media import Gst

# codec -> (kind, parser and decoder, decoded buffers wanted: "all" frames or at least n - 2)
DECODERS = {
    "hvc1": ("video", "h265parse ! avdec_h265", "all"),
    "legacy-hevc": ("video", "h265parse ! avdec_h265", "all"),
    "av01": ("video", "av1parse ! av1dec", "all"),
    "vp09": ("video", "vp9parse ! vp9dec", "all"),
    "vp08": ("video", "vp8dec", "all"),
    "avc1": ("video", "h264parse ! avdec_h264", "all"),
    "legacy-avc": ("video", "h264parse ! avdec_h264", "all"),
    "Opus": ("audio", "opusparse ! opusdec", "all"),
    "fLaC": ("audio", "flacparse ! flacdec", "all"),
    "mp4a": ("audio", "aacparse ! avdec_aac", "all"),
    "legacy-aac": ("audio", "aacparse ! faad", "most"),
    ".mp3": ("audio", "mpegaudioparse ! mpg123audiodec", "most"),
    "ac-3": ("audio", "ac3parse ! a52dec", "all"),
    "ec-3": ("audio", "ac3parse ! avdec_eac3", "all"),
}


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, E.Stream]:
    out = {}
    for codec, (kind, _, _) in DECODERS.items():
        out[codec] = E.encode_video(codec) if kind == "video" else E.encode_audio(codec)
    return out


@pytest.fixture(scope="module")
def files(media, tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("eflv")
    out = {c: E.write_flv(d / f"{c.strip('.')}.flv", [s]) for c, s in media.items()}
    out["hevc+opus"] = E.write_flv(d / "hevc_opus.flv", [media["hvc1"], media["Opus"]],
                                   keyframes_index=True)
    out["av1+flac"] = E.write_flv(d / "av1_flac.flv", [media["av01"], media["fLaC"]])
    out["hevc12+opus"] = E.write_flv(d / "hevc12_opus.flv", [media["legacy-hevc"], media["Opus"]])
    return out


class Counting:
    """A pipeline run in this process, counting the buffers that reach each named fakesink with
    pad probes (gst-launch -v's last-message notifications can merge when buffers come fast)."""

    def __init__(self, description: str, sinks: tuple[str, ...]):
        self.pipeline = Gst.parse_launch(description)
        self.counts = {name: 0 for name in sinks}
        for name in sinks:
            self.pipeline.get_by_name(name).get_static_pad("sink").add_probe(
                Gst.PadProbeType.BUFFER, self._count, name)
        self.warnings: list[str] = []

    def _count(self, _pad, _info, name):
        self.counts[name] += 1
        return Gst.PadProbeReturn.OK

    def start(self) -> "Counting":
        self.pipeline.set_state(Gst.State.PLAYING)
        return self

    def finish(self, timeout: float = 60.0) -> str | None:
        """Waits for EOS; the error (or "timeout"), None on EOS. Warnings are collected."""
        bus = self.pipeline.get_bus()
        kinds = Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING
        error = "timeout"
        while True:
            msg = bus.timed_pop_filtered(int(timeout * Gst.SECOND), kinds)
            if msg is None:
                break
            if msg.type == Gst.MessageType.WARNING:
                self.warnings.append(str(msg.parse_warning()))
                continue
            error = None if msg.type == Gst.MessageType.EOS else str(msg.parse_error())
            break
        self.pipeline.set_state(Gst.State.NULL)
        return error


@pytest.mark.parametrize("codec", list(DECODERS))
def test_decoder_accepts_every_frame(tools, media, files, codec):
    kind, chain, wanted = DECODERS[codec]
    run = Counting(f"filesrc location={files[codec]} ! enhancedflvdemux name=d "
                   f"d.{kind}_0 ! queue ! {chain} ! fakesink name=out", ("out",)).start()
    error = run.finish(120)
    assert error is None and not run.warnings, (error, run.warnings)
    n = run.counts["out"]
    frames = len(media[codec].frames)
    if wanted == "all":
        assert n == frames, f"{codec}: {n} decoded buffers for {frames} frames"
    else:
        assert frames - 2 <= n <= frames, f"{codec}: {n} decoded buffers for {frames} frames"


def play(uri: str, timeout: float = 60.0) -> tuple[list[str], dict[str, int], str | None]:
    """playbin with fakesinks to the end: the factories it used, the buffers each sink got,
    the error if any."""
    playbin = Gst.ElementFactory.make("playbin")
    playbin.set_property("uri", uri)
    counts = {"video": 0, "audio": 0}
    for kind in counts:
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER,
            lambda _pad, _info, k=kind: (counts.__setitem__(k, counts[k] + 1),
                                         Gst.PadProbeReturn.OK)[1])
        playbin.set_property(f"{kind}-sink", sink)
    used = []
    playbin.connect("deep-element-added",
                    lambda _b, _s, el: used.append(el.get_factory().get_name()
                                                   if el.get_factory() else ""))
    playbin.set_state(Gst.State.PLAYING)
    msg = playbin.get_bus().timed_pop_filtered(int(timeout * Gst.SECOND),
                                               Gst.MessageType.EOS | Gst.MessageType.ERROR)
    error = None
    if msg is None:
        error = "timeout"
    elif msg.type == Gst.MessageType.ERROR:
        error = str(msg.parse_error())
    playbin.set_state(Gst.State.NULL)
    return used, counts, error


def test_playbin_uses_enhancedflvdemux_for_enhanced_files(tools, media, files):
    for name, video, audio in (("hevc+opus", "hvc1", "Opus"), ("av1+flac", "av01", "fLaC")):
        used, counts, error = play(files[name].as_uri())
        assert error is None, (name, error, used)
        assert "enhancedflvdemux" in used and "flvdemux" not in used, (name, used)
        assert counts["video"] == len(media[video].frames), (name, counts)
        assert counts["audio"] >= len(media[audio].frames) - 2, (name, counts)


def test_playbin_keeps_flvdemux_for_legacy_files(tools, fixture_bf2):
    used, counts, error = play(fixture_bf2.as_uri())
    assert error is None, error
    assert "flvdemux" in used and "enhancedflvdemux" not in used, used
    assert counts["video"] > 0 and counts["audio"] > 0, counts


def test_seek_through_the_keyframes_index(tools, media, files):
    """A flushing key-unit seek to 1.2 s on a file: upstream (filesrc) refuses TIME, the index
    turns it into a byte seek to the last key frame at or before 1.2 s."""
    frames = media["hvc1"].frames
    key_ms = max(f.dts_ms for f in frames if f.key and f.dts_ms <= 1200)
    assert key_ms > 0, "the encoder made no second key frame"
    pipeline = Gst.parse_launch(f"filesrc location={files['hevc+opus']} ! enhancedflvdemux name=d "
                                "d.video_0 ! queue ! h265parse ! avdec_h265 ! fakesink name=v "
                                "sync=false d.audio_0 ! queue ! opusdec ! fakesink name=a sync=false")
    pts = []
    pipeline.get_by_name("v").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER,
        lambda _p, info: (pts.append(info.get_buffer().pts), Gst.PadProbeReturn.OK)[1])
    pipeline.set_state(Gst.State.PAUSED)
    bus = pipeline.get_bus()
    msg = bus.timed_pop_filtered(30 * Gst.SECOND,
                                 Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
    assert msg is not None and msg.type == Gst.MessageType.ASYNC_DONE, msg
    pts.clear()
    assert pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT,
                                int(1.2 * Gst.SECOND))
    pipeline.set_state(Gst.State.PLAYING)
    msg = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    assert msg is not None and msg.type == Gst.MessageType.EOS, msg and msg.parse_error()
    assert pts and key_ms * Gst.MSECOND <= min(pts) <= 1200 * Gst.MSECOND, (key_ms, pts[:5])
    assert len(pts) < len(frames) - 20, len(pts)


# The RTMP test sends HEVC with the legacy CodecID 12 (the CDN extension) and enhanced Opus;
# enhanced video through nginx-rtmp (it needs `wait_key off`) and node-media-server is
# test_enhanced_rtmp.py's.
ELIVE = "application elive { live on; wait_key off; wait_video off; }"


def _play_while_publishing(ng, player: Counting, flv: Path, stream: str) -> str | None:
    """Starts `player`, publishes `flv` once nginx lists it, and waits for its EOS (nginx ends
    the stream when the publisher leaves)."""
    player.start()
    try:
        ng.wait_player("elive", stream, timeout=20)
        pub = H.gst_launch(f"filesrc location={flv} ! rtmpsink sync=false "
                           f"location={ng.url('elive', stream)}", timeout=60)
        assert pub.returncode == 0 and not pub.timed_out, pub.describe()
    except BaseException:
        player.pipeline.set_state(Gst.State.NULL)
        raise
    return player.finish(30)


def test_rtmp_publish_and_play_enhanced(tools, media, files, tmp_path):
    with H.NginxRtmp(ELIVE, workdir=tmp_path / "nginx") as ng:
        player = Counting(f"rtmpsrc location={ng.url('elive', 'hevc')} ! enhancedflvdemux name=d "
                          "d.video_0 ! queue ! decodebin ! fakesink name=v "
                          "d.audio_0 ! queue ! decodebin ! fakesink name=a", ("v", "a"))
        error = _play_while_publishing(ng, player, files["hevc12+opus"], "hevc")
        assert error is None, error
        assert player.counts["v"] == len(media["legacy-hevc"].frames), player.counts
        assert player.counts["a"] >= len(media["Opus"].frames) - 2, player.counts
        used, counts, error = [], {}, None
        pb = Counting(f"playbin uri={ng.url('elive', 'pb')}", ())
        for kind in ("video", "audio"):
            sink = Gst.ElementFactory.make("fakesink", kind)
            sink.set_property("sync", False)
            pb.pipeline.set_property(f"{kind}-sink", sink)
            counts[kind] = 0
            sink.get_static_pad("sink").add_probe(
                Gst.PadProbeType.BUFFER,
                lambda _p, _i, k=kind: (counts.__setitem__(k, counts[k] + 1),
                                        Gst.PadProbeReturn.OK)[1])
        pb.pipeline.connect("deep-element-added",
                            lambda _b, _s, el: used.append(el.get_factory().get_name()
                                                           if el.get_factory() else ""))
        error = _play_while_publishing(ng, pb, files["hevc12+opus"], "pb")
        assert error is None, error
        assert "enhancedflvdemux" in used and "flvdemux" not in used, used
        assert counts["video"] == len(media["legacy-hevc"].frames), counts
        assert counts["audio"] >= len(media["Opus"].frames) - 2, counts
        assert ng.log_problems() == []
