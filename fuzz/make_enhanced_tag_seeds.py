#!/usr/bin/env python3
"""Writes seed inputs for fuzz_enhanced_tags: audio/video tag bodies (legacy FLV and Enhanced
RTMP v2) of every packet type, codec, multitrack type and ModEx form the core reads. The fuzzer
parses each input both as audio and as video."""
import struct
import sys
from pathlib import Path

AVCC = bytes.fromhex("01f4000dffe1001967f4000d919b28283f6022000003000200000300641e28532c01000568ce0f1920"
                     "fff8f800")
HVCC = bytes.fromhex("0104080000009e08000000003cf000fcfff8f800000f03200001001740010c01ffff0408000003009e08"
                     "00000300003c959409210001002b4201010408000003009e0800000300003c90014101e2cb2b2a526178"
                     "0b702020004000000300400000064222000100084401c07318301890")
AV1C = bytes.fromhex("812000000a0d200000043cffbcdaf92021a004")
VPCC = bytes.fromhex("010000000114870202000000")
OPUS_HEAD = bytes.fromhex("4f707573486561640102380180bb0000000000")
FLAC = bytes.fromhex("664c614300000022120012000000c20004ff0bb800f000002580bad7bf8f781a2330b6b7b8712dacb304")
ASC = bytes.fromhex("121056e500")
NAL = bytes.fromhex("000000056588840021ffeedd")
OBU = bytes.fromhex("12000a0b0000000c4732151000")


def amf_string(s):
    return b"\x02" + struct.pack(">H", len(s)) + s.encode()


def amf(v):
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, dict):
        body = b"".join(struct.pack(">H", len(k)) + k.encode() + amf(x) for k, x in v.items())
        return b"\x03" + body + b"\x00\x00\x09"
    raise TypeError(v)


COLOR_INFO = amf_string("colorInfo") + amf({
    "colorConfig": {"bitDepth": 10, "colorPrimaries": 9, "transferCharacteristics": 16,
                    "matrixCoefficients": 9},
    "hdrCll": {"maxFall": 400, "maxCLL": 1000},
    "hdrMdcv": {"redX": 0.708, "redY": 0.292, "greenX": 0.17, "greenY": 0.797, "blueX": 0.131,
                "blueY": 0.046, "whitePointX": 0.3127, "whitePointY": 0.329, "maxLuminance": 1000,
                "minLuminance": 0.0001},
})


def sized(body):
    return len(body).to_bytes(3, "big") + body


def nano(value, packet_type, first=0x97):
    return bytes([first, 2]) + value.to_bytes(3, "big") + bytes([packet_type])


SEEDS = {
    # Legacy video.
    "avc_sequence_header": b"\x17\x00\x00\x00\x00" + AVCC,
    "avc_nalu": b"\x27\x01\x00\x00\x28" + NAL,
    "avc_end": b"\x17\x02\x00\x00\x00",
    "legacy_hevc": b"\x1c\x00\x00\x00\x00" + HVCC,
    "legacy_av1": b"\x1d\x01\x00\x00\x00" + OBU,
    "legacy_command": b"\x57\x00",
    "vp6": b"\x14\x00" + bytes(range(16)),
    # Enhanced video.
    "hvc1_sequence_start": b"\x90hvc1" + HVCC,
    "hvc1_coded": b"\x91hvc1\x00\x00\x21" + NAL,
    "hvc1_coded_x": b"\xa3hvc1" + NAL,
    "avc1_sequence_start": b"\x90avc1" + AVCC,
    "av01_sequence_start": b"\x90av01" + AV1C,
    "av01_coded": b"\x91av01" + OBU,
    "vp09_sequence_start": b"\x90vp09" + VPCC,
    "vp08_coded": b"\xa1vp08" + bytes(range(24)),
    "vvc1_coded": b"\xa1vvc1\xff\xff\xfe" + NAL,
    "sequence_end": b"\x92hvc1",
    "metadata_color_info": b"\xd4av01" + COLOR_INFO,
    "mpeg2ts_sequence_start": b"\x95av01\x80\x04\x00\x0b",
    "enhanced_command": b"\xd1\x00",
    "mod_ex_nano": nano(500000, 0x01) + b"avc1\x00\x00\x10" + NAL,
    "mod_ex_16bit": b"\x97\xff\x01\x00" + bytes(257) + b"\x17\x02\x00\x03\xe8\x03hvc1" + NAL,
    "one_track": b"\x96\x01hvc1\x03\x00\x00\x10" + NAL,
    "many_tracks": b"\x96\x10avc1\x00" + sized(AVCC) + b"\x01" + sized(AVCC),
    "many_codecs": b"\x96\x21avc1\x00" + sized(b"\x00\x00\x21" + NAL) + b"av01\x01" + sized(OBU),
    "mod_ex_multitrack": nano(1000, 0x06) + b"\x13hvc1\x00" + sized(NAL) + b"\x02" + sized(NAL),
    "many_tracks_metadata": b"\x96\x14hvc1\x00" + sized(COLOR_INFO) + b"\x01" + sized(COLOR_INFO),
    # Legacy audio.
    "aac_sequence_header": b"\xaf\x00" + ASC,
    "aac_raw": b"\xaf\x01" + bytes(range(32)),
    "mp3": b"\x2f\xff\xfb\x90\x64" + bytes(16),
    # Enhanced audio.
    "opus_sequence_start": b"\x90Opus" + OPUS_HEAD,
    "opus_coded": b"\x91Opus\xfc" + bytes(range(20)),
    "flac_sequence_start": b"\x90fLaC" + FLAC,
    "mp4a_sequence_start": b"\x90mp4a" + ASC,
    "ac3_coded": b"\x91ac-3\x0b\x77" + bytes(16),
    "eac3_coded": b"\x91ec-3\x0b\x77" + bytes(16),
    "mp3_coded": b"\x91.mp3\xff\xfb\x90\x64" + bytes(8),
    "audio_end": b"\x92Opus",
    "multichannel_native": b"\x94Opus\x01\x02\x00\x00\x00\x03",
    "multichannel_custom": b"\x94Opus\x02\x06\x00\x01\x02\x03\x04\x05",
    "audio_one_track": b"\x95\x01mp4a\x01\x21\x00",
    "audio_many_codecs": b"\x95\x20Opus\x00" + sized(OPUS_HEAD) + b"mp4a\x01" + sized(ASC),
    "audio_many_multichannel": b"\x95\x14Opus\x00" + sized(b"\x01\x02\x00\x00\x00\x03")
                               + b"\x01" + sized(b"\x02\x01\x02"),
    "audio_mod_ex_nano": nano(999999, 0x01, 0x97) + b"Opus" + bytes(12),
}


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "corpus" / "enhanced_tags")
    out.mkdir(parents=True, exist_ok=True)
    for name, body in SEEDS.items():
        (out / name).write_bytes(body)
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
