#!/usr/bin/python3
"""N publishing sinks in ONE process (run by benchmarks/run.py).

Each instance is its own pipeline holding one sink element (rtmpsink,
rtmp2sink, or fakesink for the floor).  There is no source element: the
script owns one unparented src pad per sink and pushes, from the main thread,
pre-built FLV tags of a tiny stream (tiny_fixture: ~97 kbit/s), looped with
increasing timestamps and paced in real time.  One tag = one buffer, and the
same (read-only) buffer goes to every sink, so the pushing cost is identical
for every sink type and is measured by the fakesink run.  Threads in the
process are therefore: Python's main thread, GLib/GStreamer helpers, and
whatever the sinks start.

Phases: build and start N pipelines -> wait until every sink is publishing
(rtmp-connection-state "publishing" for rtmpsink, the rtmpclient "publish
success" log line for rtmp2sink, at once for fakesink) -> settle -> measure
for `window` seconds (CPU of this process from /proc/self/stat, threads and
RSS from /proc/self/status) -> set every pipeline to NULL -> print one JSON
line (prefix RESULT).  WINDOW_START / WINDOW_END lines are printed (flushed)
so that the caller can sample the server's CPU over the same interval.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

import common as C  # noqa: E402


def self_cpu() -> float:
    return C.proc_cpu_seconds(os.getpid())


def flv_tag(tag_type: int, ts: int, data: bytes) -> bytes:
    n = len(data)
    hdr = bytes([tag_type, (n >> 16) & 255, (n >> 8) & 255, n & 255,
                 (ts >> 16) & 255, (ts >> 8) & 255, ts & 255, (ts >> 24) & 255, 0, 0, 0])
    return hdr + data + (n + 11).to_bytes(4, "big")


def is_header(t) -> bool:
    d = t.data
    if t.type == C.H.TAG_SCRIPT:
        return True
    if t.type == C.H.TAG_VIDEO and len(d) >= 2 and (d[0] & 15) == 7 and d[1] == 0:
        return True
    if t.type == C.H.TAG_AUDIO and len(d) >= 2 and (d[0] >> 4) == 10 and d[1] == 0:
        return True
    return False


def is_end_of_sequence(t) -> bool:
    d = t.data
    return t.type == C.H.TAG_VIDEO and len(d) >= 2 and (d[0] & 15) == 7 and d[1] == 2


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--sink", required=True, help="rtmpsink | rtmp2sink | fakesink")
    ap.add_argument("--url-base", default="", help="rtmp://host:port/live/name; -INDEX appended")
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--window", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--connect-timeout", type=float, default=60.0)
    ap.add_argument("--chunk-size", type=int, default=4096)
    args = ap.parse_args()

    soft, hard = C.raise_nofile(65536)
    Gst.init(None)

    # ---- the stream: header tags once, then media looped ------------------
    flv = C.H.read_flv(args.fixture)
    headers = [t for t in flv.tags if is_header(t)]
    media = [t for t in flv.tags if not is_header(t) and not is_end_of_sequence(t)]
    loop_ms = int(math.ceil((max(t.timestamp for t in media) + 1) / 100.0) * 100)
    header_bytes = b"FLV\x01" + bytes([flv.flags]) + (9).to_bytes(4, "big") + b"\0\0\0\0"
    header_bytes += b"".join(flv_tag(t.type, t.timestamp, t.data) for t in headers)
    stream_bytes_per_loop = sum(len(t.data) + 15 for t in media)

    # ---- N pipelines ------------------------------------------------------
    n = args.n
    lock = threading.Lock()
    state = {"publishing": 0, "errors": 0, "first_error": None}
    publishing_seen: set[str] = set()

    def count_publishing(name: str) -> None:
        with lock:
            if name not in publishing_seen:
                publishing_seen.add(name)
                state["publishing"] += 1

    def on_sync_message(_bus, msg):
        t = msg.type
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is not None and s.get_name() == "rtmp-connection-state" \
                    and s.get_string("state") == "publishing":
                count_publishing(msg.src.get_name())
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            with lock:
                state["errors"] += 1
                if state["first_error"] is None:
                    state["first_error"] = f"{msg.src.get_name()}: {err.message} ({dbg})"
        return Gst.BusSyncReply.DROP

    if args.sink == "rtmp2sink":
        # rtmp2sink posts nothing when publishing starts; its rtmpclient logs it.
        def logfn(cat, level, file, function, line, obj, message, *user):
            try:
                text = message.get()
            except Exception:
                return
            if text.startswith("publish success"):
                # the log line has no object; count distinct sinks by thread
                count_publishing(f"thread-{threading.get_ident()}-{time.monotonic_ns()}")
        Gst.debug_add_log_function(logfn, None)
        Gst.debug_set_threshold_from_string("rtmpclient:4", True)
        Gst.debug_set_active(True)
        os.environ.pop("GST_DEBUG", None)

    caps = Gst.Caps.from_string("video/x-flv")
    pipelines, pads = [], []
    t_build = time.monotonic()
    for i in range(n):
        pipe = Gst.Pipeline.new(f"p{i}")
        sink = Gst.ElementFactory.make(args.sink, f"s{i}")
        if sink is None:
            print(f"RESULT {json.dumps({'error': f'no element {args.sink}'})}", flush=True)
            return 2
        sink.set_property("sync", False)
        sink.set_property("async", False)
        if args.sink != "fakesink":
            sink.set_property("location", f"{args.url_base}-{i}")
            # same outgoing chunk size for both (rtmp2sink's default is 128)
            sink.set_property("chunk-size", args.chunk_size)
        pipe.add(sink)
        pad = Gst.Pad.new(f"src{i}", Gst.PadDirection.SRC)
        pad.set_active(True)
        pad.link(sink.get_static_pad("sink"))
        bus = pipe.get_bus()
        bus.set_sync_handler(on_sync_message)
        pipelines.append(pipe)
        pads.append(pad)
    t_start = time.monotonic()
    for i, pipe in enumerate(pipelines):
        if pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            state["errors"] += 1
        pad = pads[i]
        pad.push_event(Gst.Event.new_stream_start(f"scale-{i}"))
        pad.push_event(Gst.Event.new_caps(caps))
        seg = Gst.Segment()
        seg.init(Gst.Format.TIME)
        pad.push_event(Gst.Event.new_segment(seg))
    t_started = time.monotonic()
    if args.sink == "fakesink":
        state["publishing"] = n

    # ---- real-time pushing --------------------------------------------------
    push = {"tags": 0, "buffers": 0, "flow_errors": 0, "max_lag_ms": 0.0, "next": 0,
            "bytes_per_stream": 0}
    epoch = time.monotonic()
    window: dict = {}

    def push_all(data: bytes) -> None:
        buf = Gst.Buffer.new_wrapped(data)
        for pad in pads:
            if pad.push(buf) != Gst.FlowReturn.OK:
                push["flow_errors"] += 1
        push["buffers"] += 1
        push["bytes_per_stream"] += len(data)

    push_all(header_bytes)

    def on_tick():
        now_ms = (time.monotonic() - epoch) * 1000.0
        while True:
            k = push["next"]
            loop, idx = divmod(k, len(media))
            t = media[idx]
            ts = loop * loop_ms + t.timestamp
            if ts > now_ms:
                break
            push["max_lag_ms"] = max(push["max_lag_ms"], now_ms - ts)
            if "t0" in window and "t1" not in window:
                push["max_lag_window_ms"] = max(push.get("max_lag_window_ms", 0.0), now_ms - ts)
            push_all(flv_tag(t.type, ts, t.data))
            push["tags"] += 1
            push["next"] = k + 1
        return True

    GLib.timeout_add(20, on_tick)
    ml = GLib.MainLoop()
    result: dict = {"n": n, "sink": args.sink, "nofile_soft": soft, "nofile_hard": hard,
                    "loop_ms": loop_ms, "stream_kbps": stream_bytes_per_loop * 8 / loop_ms,
                    "build_s": t_start - t_build, "start_calls_s": t_started - t_start}

    def phase_wait_publishing():
        with lock:
            done = state["publishing"] >= n
            errors = state["errors"]
        if done or errors or time.monotonic() - t_start > args.connect_timeout:
            result["all_publishing_s"] = time.monotonic() - t_start if done else None
            result["publishing"] = state["publishing"]
            if not done:
                ml.quit()
                return False
            GLib.timeout_add(int(args.settle * 1000), phase_window_start)
            return False
        return True

    def phase_window_start():
        window["t0"] = time.monotonic()
        window["cpu0"] = self_cpu()
        window["ru0"] = resource.getrusage(resource.RUSAGE_SELF)
        window["tags0"] = push["tags"]
        print("WINDOW_START", flush=True)
        GLib.timeout_add(int(args.window * 1000), phase_window_end)
        return False

    def phase_window_end():
        t1 = window["t1"] = time.monotonic()
        cpu1 = self_cpu()
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        print("WINDOW_END", flush=True)
        st = C.proc_status()
        dt = t1 - window["t0"]
        ru0 = window["ru0"]
        result.update({
            "window_s": dt,
            "cpu_s": cpu1 - window["cpu0"],
            "cpu_rusage_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
            "threads": int(st["Threads"]),
            "rss_kb": int(st["VmRSS"].split()[0]),
            "hwm_kb": int(st["VmHWM"].split()[0]),
            "fds": len(os.listdir("/proc/self/fd")),
            "tags_in_window": push["tags"] - window["tags0"],
        })
        ml.quit()
        return False

    GLib.timeout_add(50, phase_wait_publishing)
    ml.run()

    t_stop = time.monotonic()
    for pipe in pipelines:
        pipe.set_state(Gst.State.NULL)
    result["teardown_s"] = time.monotonic() - t_stop
    result.update({"errors": state["errors"], "first_error": state["first_error"],
                   "flow_errors": push["flow_errors"], "max_lag_ms": push["max_lag_ms"],
                   "max_lag_window_ms": push.get("max_lag_window_ms"),
                   "bytes_per_stream": push["bytes_per_stream"]})
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
