"""Enhanced FLV files made from real encoder output, for the enhancedflvdemux tests.

Independent of the plugin: a GStreamer encoder pipeline ends in an appsink (through GI), its
buffers and configuration record are taken as they are, and this module writes the FLV tags
itself, following Enhanced RTMP v2 (veovera/enhanced-rtmp, enhanced-rtmp-v2.md):

  video  IsExHeader 1 | FrameType UB[3] | VideoPacketType UB[4], FourCC UI32, then
         SequenceStart: the record; CodedFrames: [CompositionTime SI24 (avc1, hvc1)] frames;
         CodedFramesX: frames (composition time 0)
  audio  SoundFormat 9 | AudioPacketType UB[4], FourCC UI32, then
         SequenceStart: the record; CodedFrames: the frame

and legacy tags (AVC 7, AAC 10, MP3 2) for the files that must keep going to flvdemux, and
HEVC with the legacy CodecID 12 (the CDN extension, which nginx-rtmp relays; it drops enhanced
video frames, see test_enhanced_demux.py).
Every file starts with onMetaData (duration, codec ids as legacy numbers or FourCCs, width,
height, framerate) and, when asked, a `keyframes` index (times, filepositions).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

TAG_AUDIO, TAG_VIDEO, TAG_SCRIPT = 8, 9, 18


@dataclass
class Frame:
    pts_ms: int
    dts_ms: int
    key: bool
    data: bytes


@dataclass
class Stream:
    kind: str                   # "video" or "audio"
    fourcc: str                 # "hvc1", "av01", "Opus", ... or "legacy-avc", "legacy-aac"
    record: bytes | None        # the SequenceStart payload (None: no sequence start)
    frames: list[Frame] = field(default_factory=list)
    width: int = 0
    height: int = 0
    framerate: float = 0.0


def _ms(t: int) -> int:
    return 0 if t == Gst.CLOCK_TIME_NONE else t // Gst.MSECOND


def capture(description: str, timeout_s: float = 120.0) -> tuple[Gst.Caps, list[Gst.Buffer]]:
    """Runs `description ! appsink` to its end: the sink caps and every buffer."""
    pipeline = Gst.parse_launch(f"{description} ! appsink name=out sync=false")
    sink = pipeline.get_by_name("out")
    pipeline.set_state(Gst.State.PLAYING)
    caps, buffers = None, []
    while True:
        sample = sink.emit("try-pull-sample", int(timeout_s * Gst.SECOND))
        if sample is None:
            break
        caps = sample.get_caps()
        buffers.append(sample.get_buffer())
    bus = pipeline.get_bus()
    error = bus.pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if error is not None:
        raise RuntimeError(f"{description}: {error.parse_error()}")
    if caps is None or not buffers:
        raise RuntimeError(f"{description}: no output")
    return caps, buffers


def _bytes(buf: Gst.Buffer) -> bytes:
    return buf.extract_dup(0, buf.get_size())


def _codec_data(caps: Gst.Caps) -> bytes | None:
    s = caps.get_structure(0)
    if not s.has_field("codec_data"):
        return None
    return _bytes(s.get_value("codec_data"))


def _streamheader(caps: Gst.Caps) -> list[bytes]:
    """The streamheader buffers of caps (read from the caps string: GI cannot read a
    GstValueArray)."""
    m = re.search(r"streamheader=\(buffer\)< ([0-9a-f, ]+) >", caps.to_string())
    return [bytes.fromhex(h.strip()) for h in m.group(1).split(",")] if m else []


def _frames(buffers, skip_headers: bool = False) -> list[Frame]:
    out = []
    for b in buffers:
        if skip_headers and b.has_flags(Gst.BufferFlags.HEADER):
            continue
        pts = _ms(b.pts)
        dts = _ms(b.dts) if b.dts != Gst.CLOCK_TIME_NONE else pts
        out.append(Frame(pts, dts, not b.has_flags(Gst.BufferFlags.DELTA_UNIT), _bytes(b)))
    # Encoders start at their own offsets (x264enc and x265enc at 1000 hours): from 0 here.
    base = min(min(f.dts_ms, f.pts_ms) for f in out)
    return [Frame(f.pts_ms - base, f.dts_ms - base, f.key, f.data) for f in out]


VIDEO_SOURCE = "videotestsrc num-buffers={n} ! video/x-raw,width=320,height=240,framerate=25/1"
AUDIO_SOURCE = "audiotestsrc num-buffers={n} samplesperbuffer=1024 ! audio/x-raw,rate={rate},channels=2"


def encode_video(codec: str, frames: int = 50) -> Stream:
    src = VIDEO_SOURCE.format(n=frames)
    if codec in ("hvc1", "legacy-hevc", "legacy-avc", "avc1"):
        if codec in ("hvc1", "legacy-hevc"):
            enc = ("x265enc speed-preset=ultrafast key-int-max=25 ! h265parse ! "
                   "video/x-h265,stream-format=hvc1,alignment=au")
        else:
            enc = ("x264enc speed-preset=ultrafast key-int-max=25 bframes=2 ! h264parse ! "
                   "video/x-h264,stream-format=avc,alignment=au")
        caps, bufs = capture(f"{src} ! {enc}")
        record = _codec_data(caps)
    elif codec == "av01":
        caps, bufs = capture(f"{src} ! av1enc cpu-used=8 keyframe-max-dist=25 "
                             "usage-profile=realtime lag-in-frames=0 target-bitrate=200 ! av1parse ! video/x-av1,stream-format=obu-stream,"
                             "alignment=tu")
        # av1C: marker/version 1, profile 0 level 0, 8-bit 4:2:0, no configOBUs (the sequence
        # header is in the key frames).
        record = _codec_data(caps) or bytes([0x81, 0x00, 0x0C, 0x00])
    elif codec in ("vp09", "vp08"):
        enc = "vp9enc deadline=1 cpu-used=8 keyframe-max-dist=25" if codec == "vp09" else \
            "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=25"
        caps, bufs = capture(f"{src} ! {enc}")
        # VPCodecConfigurationRecord with the vpcC version 1 and flags: profile 0, level 1.0
        # (10), 8-bit 4:2:0 colocated, BT.709 primaries/transfer/matrix, no init data.
        record = bytes([1, 0, 0, 0, 0, 10, 0x82, 1, 1, 1, 0, 0])
    else:
        raise ValueError(codec)
    return Stream("video", codec, record, _frames(bufs), 320, 240, 25.0)


def encode_audio(codec: str, buffers: int = 100, rate: int = 48000) -> Stream:
    src = AUDIO_SOURCE.format(n=buffers, rate=rate)
    if codec == "Opus":
        caps, bufs = capture(f"{src} ! opusenc")
        headers = _streamheader(caps)
        record = headers[0] if headers else None
        if not record or not record.startswith(b"OpusHead"):
            raise RuntimeError("opusenc gave no OpusHead buffer")
        return Stream("audio", codec, record, _frames(bufs, skip_headers=True))
    if codec == "fLaC":
        caps, bufs = capture(f"{src} ! flacenc")
        first = next(h for h in _streamheader(caps) if h.startswith(b"\x7fFLAC"))
        record = first[9:]  # "fLaC" + STREAMINFO (block header + 34 bytes)
        return Stream("audio", codec, record, _frames(bufs, skip_headers=True))
    if codec in ("mp4a", "legacy-aac"):
        caps, bufs = capture(f"{src} ! voaacenc ! audio/mpeg,stream-format=raw")
        return Stream("audio", codec, _codec_data(caps), _frames(bufs))
    if codec in (".mp3", "legacy-mp3"):
        caps, bufs = capture(f"{src} ! lamemp3enc ! mpegaudioparse")
        return Stream("audio", codec, None, _frames(bufs))
    if codec in ("ac-3", "ec-3"):
        enc = "avenc_ac3" if codec == "ac-3" else "avenc_eac3"
        caps, bufs = capture(f"{src} ! audioconvert ! {enc} ! ac3parse")
        return Stream("audio", codec, None, _frames(bufs))
    raise ValueError(codec)


# --------------------------------------------------------------------------
# FLV writing
# --------------------------------------------------------------------------

def _amf_string(s: str) -> bytes:
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def _amf_value(v) -> bytes:
    if isinstance(v, bool):
        return b"\x01" + bytes([1 if v else 0])
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        return _amf_string(v)
    if isinstance(v, list):
        return b"\x0a" + struct.pack(">I", len(v)) + b"".join(_amf_value(x) for x in v)
    if isinstance(v, dict):
        out = b"\x03"
        for k, x in v.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + _amf_value(x)
        return out + b"\x00\x00\x09"
    raise TypeError(v)


def on_metadata(props: dict) -> bytes:
    body = b"\x08" + struct.pack(">I", len(props))
    for k, v in props.items():
        kb = k.encode()
        body += struct.pack(">H", len(kb)) + kb + _amf_value(v)
    return _amf_string("onMetaData") + body + b"\x00\x00\x09"


def fourcc_number(f: str) -> int:
    return struct.unpack(">I", f.encode())[0]


LEGACY_IDS = {"legacy-avc": 7, "legacy-hevc": 12, "legacy-aac": 10, "legacy-mp3": 2}


def _video_bodies(s: Stream):
    """(timestamp, key, body) of every video tag, the sequence start first."""
    if s.fourcc in ("legacy-avc", "legacy-hevc"):  # legacy layout, CodecID 7 or 12
        cid = LEGACY_IDS[s.fourcc]
        yield 0, True, bytes([0x10 | cid, 0, 0, 0, 0]) + s.record
        for f in s.frames:
            cts = f.pts_ms - f.dts_ms
            yield f.dts_ms, f.key, bytes([(0x10 if f.key else 0x20) | cid, 1]) + \
                struct.pack(">i", cts)[1:] + f.data
        return
    fcc = s.fourcc.encode()
    yield 0, True, bytes([0x80 | 0x10 | 0]) + fcc + s.record
    cts_codec = s.fourcc in ("avc1", "hvc1")
    for f in s.frames:
        ft = 0x10 if f.key else 0x20
        cts = f.pts_ms - f.dts_ms
        if cts_codec and cts != 0:
            body = bytes([0x80 | ft | 1]) + fcc + struct.pack(">i", cts)[1:] + f.data
        else:
            body = bytes([0x80 | ft | 3]) + fcc + f.data
        yield f.dts_ms, f.key, body


def _audio_bodies(s: Stream):
    if s.fourcc == "legacy-aac":
        yield 0, bytes([0xAF, 0]) + s.record
        for f in s.frames:
            yield f.pts_ms, bytes([0xAF, 1]) + f.data
        return
    if s.fourcc == "legacy-mp3":
        for f in s.frames:
            yield f.pts_ms, bytes([0x2F]) + f.data
        return
    fcc = s.fourcc.encode()
    if s.record is not None:
        yield 0, bytes([0x90 | 0]) + fcc + s.record
    for f in s.frames:
        yield f.pts_ms, bytes([0x90 | 1]) + fcc + f.data


def _tag(tag_type: int, ts: int, body: bytes) -> bytes:
    return (bytes([tag_type]) + len(body).to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big")
            + bytes([(ts >> 24) & 0xFF]) + b"\x00\x00\x00" + body
            + (len(body) + 11).to_bytes(4, "big"))


def _codec_id(s: Stream) -> int:
    return LEGACY_IDS.get(s.fourcc) or fourcc_number(s.fourcc)


def write_flv(path: Path, streams: list[Stream], keyframes_index: bool = False) -> Path:
    """An FLV file of the streams, tags interleaved by timestamp."""
    entries = []  # (ts, order, type, key, body)
    for n, s in enumerate(streams):
        bodies = _video_bodies(s) if s.kind == "video" else \
            ((ts, True, b) for ts, b in _audio_bodies(s))
        for i, (ts, key, body) in enumerate(bodies):
            entries.append((ts, 0 if i == 0 else 1, n, TAG_VIDEO if s.kind == "video" else
                            TAG_AUDIO, key, body))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    last = max(e[0] for e in entries)
    video = next((s for s in streams if s.kind == "video"), None)
    audio = next((s for s in streams if s.kind == "audio"), None)
    props: dict = {"duration": last / 1000.0}
    if video:
        props.update(width=video.width, height=video.height, framerate=video.framerate,
                     videocodecid=_codec_id(video))
    if audio:
        props["audiocodecid"] = _codec_id(audio)
    flags = (1 if video else 0) | (4 if audio else 0)
    head = b"FLV\x01" + bytes([flags]) + (9).to_bytes(4, "big") + bytes(4)

    def layout(index: dict | None) -> bytes:
        meta = dict(props)
        if index is not None:
            meta["keyframes"] = index
        out = bytearray(head + _tag(TAG_SCRIPT, 0, on_metadata(meta)))
        times, positions = [], []
        for ts, _order, _n, tag_type, key, body in entries:
            if tag_type == TAG_VIDEO and key and body[0] & 0x0F != 0 and not \
                    (body[0] & 0x80 == 0 and body[1] == 0):
                times.append(ts / 1000.0)
                positions.append(len(out))
            out += _tag(tag_type, ts, body)
        return bytes(out), times, positions

    data, times, positions = layout(None)
    if keyframes_index:
        # The index changes the size of onMetaData, hence the positions: lay out twice.
        placeholder = {"times": times, "filepositions": [0.0] * len(times)}
        _, times, positions = layout(placeholder)
        data, _, _ = layout({"times": times, "filepositions": [float(p) for p in positions]})
    Path(path).write_bytes(data)
    return Path(path)
