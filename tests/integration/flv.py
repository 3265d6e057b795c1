"""Integration-test harness: FLV at tag level (parser, writer) and a model of
what nginx-rtmp's `record all` writes for a published stream."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple, Sequence


# FLV tag types.
TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18


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


def complete_tags(data: bytes) -> list[FlvTag]:
    """The tags of FLV bytes whose data is complete, leniently: no checks of PreviousTagSize,
    and bytes cut short (a writer killed, a stream still arriving) end the list early."""
    if len(data) < 13 or data[:3] != b"FLV":
        return []
    off = int.from_bytes(data[5:9], "big") + 4
    tags = []
    while off + 11 <= len(data):
        size = int.from_bytes(data[off + 1:off + 4], "big")
        end = off + 11 + size
        if end > len(data):
            break
        ts = int.from_bytes(data[off + 4:off + 7], "big") | (data[off + 7] << 24)
        sid = int.from_bytes(data[off + 8:off + 11], "big")
        tags.append(FlvTag(data[off] & 0x1F, ts, sid, data[off + 11:end], off))
        off = end + 4
    return tags


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
