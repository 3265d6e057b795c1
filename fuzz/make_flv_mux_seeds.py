#!/usr/bin/env python3
"""Writes seed inputs for fuzz_flv_mux: an AV1 temporal unit with a sequence header (libaom,
through FFmpeg 5.1), FLAC header packets as flacenc gives them, and muxing runs of 1 to 4
tracks (every codec choice and mode) with frames of every size class."""
from pathlib import Path

out = Path(__file__).resolve().parent / "corpus" / "flv_mux"
out.mkdir(parents=True, exist_ok=True)

AV1_TU = bytes.fromhex("12000a0b000000043cffbcdaf90040328e101400a0b010b44cf0919afd29e1e910496e"
                       "0cc8b4c038ee15195548643add3f1cd7")
FLAC = bytes.fromhex("7f464c414301000002664c614300000022120012000000000000000bb802f0000000000"
                     "000000000000000000000000000000000840000046200000000")
(out / "av1_tu").write_bytes(AV1_TU)
(out / "flac_headers").write_bytes(bytes([17]) + FLAC[1:])


def run(tracks: int, picks: list[tuple[int, int, int]], frames: int) -> bytes:
    b = bytearray([tracks - 1])
    for codec, mode, id_step in picks:
        b += bytes([codec, mode, id_step])
    b += bytes([100])  # origin
    for i in range(frames):
        b += bytes([i % tracks, 40 + i % 3, 64 + (i % 5) * 20, 1 if i % 10 == 0 else 0, i % 64])
        b += bytes((i * 7 + j) & 0xFF for j in range(1 + i % 64))
    return bytes(b)


for n, (tracks, picks) in enumerate([
    (1, [(0, 0, 0)]),
    (2, [(1, 1, 0), (2, 0, 0)]),
    (3, [(2, 2, 0), (0, 0, 1), (3, 0, 1)]),
    (4, [(3, 0, 0), (4, 1, 0), (4, 2, 1), (5, 0, 1)]),
    (4, [(0, 0, 0), (1, 0, 0), (1, 0, 2), (2, 1, 2)]),
]):
    (out / f"run_{n}").write_bytes(run(tracks, picks, 30 + n * 10))
