#!/usr/bin/env python3
"""Writes seed inputs for fuzz_flv_demux: FLV streams made of the fuzz_enhanced_tags seeds
(each tag body as a video and as an audio tag, after an onMetaData with codec ids, a track info
map and a keyframes index), plus a multi-codec stream of all of them in turn."""
import struct
import sys
from pathlib import Path

root = Path(__file__).resolve().parent
out = root / "corpus" / "flv_demux"


def amf_string(s):
    return b"\x02" + struct.pack(">H", len(s)) + s.encode()


def amf(v):
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        return amf_string(v)
    if isinstance(v, list):
        return b"\x0a" + struct.pack(">I", len(v)) + b"".join(amf(x) for x in v)
    body = b"".join(struct.pack(">H", len(k)) + k.encode() + amf(x) for k, x in v.items())
    return b"\x03" + body + b"\x00\x00\x09"


def tag(kind, ts, body):
    return (bytes([kind]) + len(body).to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big") +
            bytes([ts >> 24]) + bytes(3) + body + (len(body) + 11).to_bytes(4, "big"))


META = amf_string("onMetaData") + amf({
    "duration": 2.0, "width": 320, "height": 240, "framerate": 25,
    "videocodecid": 0x68766331, "audiocodecid": 0x4f707573,
    "audioTrackIdInfoMap": {"1": {"channels": 2}},
    "keyframes": {"times": [0, 1], "filepositions": [13, 400]}})


def stream(bodies):
    data = b"FLV\x01\x05" + (9).to_bytes(4, "big") + bytes(4) + tag(18, 0, META)
    for i, body in enumerate(bodies):
        data += tag(9, i * 40, body) + tag(8, i * 40 + 7, body)
    return data


def main():
    out.mkdir(parents=True, exist_ok=True)
    seeds = sorted((root / "corpus" / "enhanced_tags").iterdir())
    for p in seeds:
        (out / p.name).write_bytes(stream([p.read_bytes()]))
    (out / "all_codecs").write_bytes(stream([p.read_bytes() for p in seeds]))
    print(f"{len(seeds) + 1} seeds in {out}", file=sys.stderr)


main()
