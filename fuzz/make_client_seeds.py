#!/usr/bin/env python3
"""Writes seed inputs for fuzz_client_connection: two config bytes (mode, piece size), then what
a server sends after the handshake, as RTMP chunks (chunk size 128)."""
import struct
import sys
from pathlib import Path


def amf(v):
    if isinstance(v, bool):
        return b"\x01" + bytes([v])
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        return b"\x02" + struct.pack(">H", len(v)) + v.encode()
    if v is None:
        return b"\x05"
    if isinstance(v, dict):
        body = b"".join(struct.pack(">H", len(k)) + k.encode() + amf(x) for k, x in v.items())
        return b"\x03" + body + b"\x00\x00\x09"
    raise TypeError(v)


def chunks(csid, mtype, stream, payload, ts=0, size=128):
    out = bytes([csid]) + ts.to_bytes(3, "big") + len(payload).to_bytes(3, "big") + bytes([mtype])
    out += struct.pack("<I", stream)
    for i in range(0, max(len(payload), 1), size):
        if i:
            out += bytes([0xC0 | csid])
        out += payload[i:i + size]
    return out


def command(name, txn, obj, *args, stream=0):
    return chunks(3, 20, stream, amf(name) + amf(txn) + amf(obj) + b"".join(amf(a) for a in args))


def status(code, level="status", stream=1):
    return command("onStatus", 0, None, {"level": level, "code": code, "description": "x"},
                   stream=stream)


connect_ok = command("_result", 1, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31},
                     {"level": "status", "code": "NetConnection.Connect.Success"})
control = (chunks(2, 5, 0, struct.pack(">I", 2500000)) +           # window ack size
           chunks(2, 6, 0, struct.pack(">IB", 2500000, 2)) +       # peer bandwidth
           chunks(2, 4, 0, struct.pack(">HI", 6, 1234)))           # ping request
seeds = {
    "publish_ok": b"\x00\x10" + control + connect_ok + command("_result", 2, None) +
                  command("_result", 3, None) + command("_result", 4, None, 1) +
                  status("NetStream.Publish.Start"),
    "publish_badname": b"\x00\x03" + connect_ok + command("_result", 4, None, 1) +
                       status("NetStream.Publish.BadName", "error"),
    "connect_rejected": b"\x00\x07" + command("_error", 1, None,
                                              {"level": "error",
                                               "code": "NetConnection.Connect.Rejected",
                                               "description": "auth"}),
    "play_media": b"\x01\x20" + connect_ok + command("_result", 2, None, 1) +
                  chunks(2, 4, 0, struct.pack(">HI", 4, 1)) + status("NetStream.Play.Start") +
                  chunks(5, 18, 1, amf("onMetaData") + amf({"duration": 4.0})) +
                  chunks(6, 9, 1, bytes([0x17, 0, 0, 0, 0]) + b"\x01" * 300, ts=0) +
                  chunks(4, 8, 1, bytes([0xAF, 1]) + b"\x02" * 200, ts=23) +
                  chunks(6, 22, 1, bytes([9, 0, 0, 5, 0, 0, 40, 0, 0, 0, 0]) + b"\x17\x01abc" +
                         struct.pack(">I", 16), ts=40) +
                  status("NetStream.Play.Stop"),
    "chunk_size_change": b"\x01\x05" + chunks(2, 1, 0, struct.pack(">I", 4096)) + connect_ok +
                         chunks(2, 2, 0, struct.pack(">I", 6)),
}
out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "corpus" / "client_connection")
out.mkdir(parents=True, exist_ok=True)
for name, data in seeds.items():
    (out / name).write_bytes(data)
print(f"{len(seeds)} seeds in {out}")
