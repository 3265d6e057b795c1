"""Short clips of real encoder output, with one or several tracks, for the Enhanced RTMP round
trips (test_enhanced_rtmp.py), and the FLV files the test writes from them.

The encoders are Debian 12's (x265, libaom, libvpx, libopus, libFLAC, FFmpeg's AC-3/E-AC-3
through GStreamer); their output is captured with eflv_media.capture() and written as Enhanced
RTMP v2 tags by the test's own writer (eflv_media for one track per kind; the multitrack layout
here), never by the plugin. A Track keeps what the player must get back: every frame's bytes,
timestamps and key flag, and the parser and decoder that must decode it.

Multitrack layout (veovera enhanced-rtmp-v2, "Multitrack"), as OBS and FFmpeg 7 send it: track 0
in plain enhanced tags (so a server or player that knows nothing of multitrack still sees one
ordinary stream), every other track in Multitrack tags of type OneTrack:

  video  IsExHeader 1 | FrameType UB[3] | 6 (Multitrack), OneTrack 0 << 4 | VideoPacketType,
         FourCC, trackId UI8, then the track body (CodedFrames: SI24 composition time for hvc1)
  audio  9 << 4 | 5 (Multitrack), OneTrack 0 << 4 | AudioPacketType, FourCC, trackId, body

except the audio sequence starts, which go in one ManyTracks tag (1 << 4 | SequenceStart,
FourCC, then per track: trackId UI8, size UI24, OpusHead). onMetaData describes track 0 at the
top level and the others in videoTrackIdInfoMap / audioTrackIdInfoMap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import eflv_media as E
from flv import complete_tags
from eflv_media import Gst

FPS = 25

# FourCC -> (encoder after the raw source, ending in the caps the 1.22 parsers give; the
# parser and decoder a player uses). The encoders are set for speed and a key frame every
# second.
VIDEO = {
    "hvc1": ("x265enc speed-preset=ultrafast key-int-max=25 ! h265parse ! "
             "video/x-h265,stream-format=hvc1,alignment=au", "h265parse ! avdec_h265"),
    "av01": ("av1enc cpu-used=8 keyframe-max-dist=25 usage-profile=realtime lag-in-frames=0 "
             "target-bitrate=200 ! av1parse ! video/x-av1,stream-format=obu-stream,alignment=tu",
             "av1parse ! av1dec"),
    "vp09": ("vp9enc deadline=1 cpu-used=8 keyframe-max-dist=25", "vp9parse ! vp9dec"),
    "vp08": ("vp8enc deadline=1 cpu-used=8 keyframe-max-dist=25", "vp8dec"),
}
AUDIO = {
    "Opus": ("opusenc", "opusparse ! opusdec"),
    "fLaC": ("flacenc", "flacparse ! flacdec"),
    "ac-3": ("audioconvert ! avenc_ac3 ! ac3parse", "ac3parse ! a52dec"),
    "ec-3": ("audioconvert ! avenc_eac3 ! ac3parse", "ac3parse ! avdec_eac3"),
}
# The VPCodecConfigurationRecord the writer sends for VP9 and VP8 (no caps carry one): vpcC
# version 1 and flags, profile 0, level 1.0, 8-bit 4:2:0 colocated, BT.709, no init data.
VPCC = bytes([1, 0, 0, 0, 0, 10, 0x82, 1, 1, 1, 0, 0])
# The av1C when the caps carry none (av1parse puts the sequence header in the key frames).
AV1C = bytes([0x81, 0x00, 0x0C, 0x00])


@dataclass
class Track:
    kind: str            # "video" or "audio"
    id: int              # the Enhanced RTMP track id (the demuxer's pad video_<id> / audio_<id>)
    stream: E.Stream     # frames (ms timestamps from 0) and the sequence start
    decode: str          # parser ! decoder
    source: str          # the raw source (videotestsrc/audiotestsrc with caps)
    encoder: str         # what follows the source up to the encoded caps

    @property
    def pad(self) -> str:
        return f"{self.kind}_{self.id}"

    @property
    def fourcc(self) -> str:
        return self.stream.fourcc


def video_source(frames: int, width: int, height: int, pattern: str = "smpte") -> str:
    return (f"videotestsrc num-buffers={frames} pattern={pattern} ! "
            f"video/x-raw,width={width},height={height},framerate={FPS}/1")


def audio_source(buffers: int, freq: float, channels: int = 2) -> str:
    # 960 samples at 48 kHz: 20 ms, one Opus frame per buffer.
    return (f"audiotestsrc num-buffers={buffers} samplesperbuffer=960 freq={freq} ! "
            f"audio/x-raw,rate=48000,channels={channels}")


def encode_video(fourcc: str, track: int = 0, seconds: float = 1.0, width: int = 320,
                 height: int = 240, pattern: str = "smpte") -> Track:
    encoder, decode = VIDEO[fourcc]
    source = video_source(round(seconds * FPS), width, height, pattern)
    caps, buffers = E.capture(f"{source} ! {encoder}")
    if fourcc == "hvc1":
        record = E._codec_data(caps)
    elif fourcc == "av01":
        record = E._codec_data(caps) or AV1C
    else:
        record = VPCC
    stream = E.Stream("video", fourcc, record, E._frames(buffers), width, height, float(FPS))
    return Track("video", track, stream, decode, source, encoder)


def encode_audio(fourcc: str, track: int = 0, seconds: float = 1.0, freq: float = 440.0,
                 channels: int = 2) -> Track:
    encoder, decode = AUDIO[fourcc]
    source = audio_source(round(seconds * 50), freq, channels)
    caps, buffers = E.capture(f"{source} ! {encoder}")
    if fourcc == "Opus":
        record = next(h for h in E._streamheader(caps) if h.startswith(b"OpusHead"))
        frames = E._frames(buffers, skip_headers=True)
    elif fourcc == "fLaC":
        first = next(h for h in E._streamheader(caps) if h.startswith(b"\x7fFLAC"))
        record = first[9:]  # "fLaC" + STREAMINFO
        frames = E._frames(buffers, skip_headers=True)
    else:
        record, frames = None, E._frames(buffers)
    stream = E.Stream("audio", fourcc, record, frames)
    return Track("audio", track, stream, decode, source, encoder)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def _one_track(kind: str, body: bytes, track: int) -> bytes:
    """A plain enhanced body as a Multitrack OneTrack body of `track`."""
    first, fourcc, rest = body[0], body[1:5], body[5:]
    if kind == "audio":  # SoundFormat 9 | AudioPacketType
        return bytes([0x95, first & 0x0F]) + fourcc + bytes([track]) + rest
    return bytes([(first & 0xF0) | 6, first & 0x0F]) + fourcc + bytes([track]) + rest


def _audio_sequence_starts(tracks: list[Track]) -> bytes:
    """One ManyTracks tag with the sequence start of every audio track (same codec)."""
    fourcc = tracks[0].fourcc.encode()
    body = bytes([0x95, 0x10]) + fourcc
    for t in tracks:
        body += bytes([t.id]) + len(t.stream.record).to_bytes(3, "big") + t.stream.record
    return body


def _entries(tracks: list[Track]):
    """(timestamp, order, track index, tag type, body) of every audio and video tag."""
    audio = [t for t in tracks if t.kind == "audio" and t.stream.record is not None]
    many = len(audio) > 1 and len({t.fourcc for t in audio}) == 1
    if many:
        yield 0, 0, len(tracks), E.TAG_AUDIO, _audio_sequence_starts(audio)
    for n, t in enumerate(tracks):
        if t.kind == "video":
            bodies = ((ts, b) for ts, _key, b in E._video_bodies(t.stream))
        else:
            bodies = E._audio_bodies(t.stream)
        tag_type = E.TAG_VIDEO if t.kind == "video" else E.TAG_AUDIO
        for i, (ts, body) in enumerate(bodies):
            header = i == 0 and t.stream.record is not None
            if header and many and t.kind == "audio":
                continue
            yield ts, 0 if header else 1, n, tag_type, body if t.id == 0 else \
                _one_track(t.kind, body, t.id)


def _metadata(tracks: list[Track], duration_ms: int) -> bytes:
    props: dict = {"duration": duration_ms / 1000.0}
    video_map, audio_map = {}, {}
    for t in tracks:
        s = t.stream
        if t.kind == "video":
            info = {"videocodecid": E.fourcc_number(s.fourcc), "width": s.width,
                    "height": s.height, "framerate": s.framerate}
            if t.id == 0:
                props.update(info)
            else:
                video_map[str(t.id)] = info
        else:
            info = {"audiocodecid": E.fourcc_number(s.fourcc)}
            if t.id == 0:
                props.update(info)
            else:
                audio_map[str(t.id)] = info
    if video_map:
        props["videoTrackIdInfoMap"] = video_map
    if audio_map:
        props["audioTrackIdInfoMap"] = audio_map
    return E.on_metadata(props)


def write_flv(path: Path, tracks: list[Track]) -> Path:
    """An FLV file of the tracks (any number per kind), tags in timestamp order."""
    entries = sorted(_entries(tracks), key=lambda e: (e[0], e[1], e[2]))
    flags = (1 if any(t.kind == "video" for t in tracks) else 0) | \
        (4 if any(t.kind == "audio" for t in tracks) else 0)
    out = bytearray(b"FLV\x01" + bytes([flags]) + (9).to_bytes(4, "big") + bytes(4))
    out += E._tag(E.TAG_SCRIPT, 0, _metadata(tracks, max(e[0] for e in entries)))
    for ts, _order, _n, tag_type, body in entries:
        out += E._tag(tag_type, ts, body)
    Path(path).write_bytes(bytes(out))
    return Path(path)


# --------------------------------------------------------------------------
# Reading what a server received or relayed
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Tag:
    type: int
    timestamp: int
    data: bytes

    def describe(self) -> str:
        return f"type {self.type} ts {self.timestamp} {len(self.data)} bytes " \
               f"{self.data[:8].hex()}"


def read_tags(data: bytes) -> list[Tag]:
    """The complete tags of FLV bytes (a file cut short by a killed writer ends early)."""
    return [Tag(t.type, t.timestamp, t.data) for t in complete_tags(data)]


def media_tags(tags: list[Tag]) -> list[Tag]:
    return [t for t in tags if t.type in (E.TAG_AUDIO, E.TAG_VIDEO)]


def clip_duration_ms(tracks: list[Track]) -> int:
    return max(f.dts_ms for t in tracks for f in t.stream.frames)


def buffer_bytes(buf: Gst.Buffer) -> bytes:
    return buf.extract_dup(0, buf.get_size())

