#!/usr/bin/python3
"""A live subscriber that notes when each byte arrived: GStreamer's own rtmp2src (an
implementation independent of the plugin under test) plays URL, and every buffer it outputs is
appended to OUT (the FLV byte stream as received) while a line `<CLOCK_MONOTONIC ns> <end
offset>` goes to OUT.arrivals. Both are flushed per buffer, so they are complete up to the
moment the probe is stopped (SIGTERM or SIGINT), the stream ends or fails.

    /usr/bin/python3 arrival_probe.py rtmp://127.0.0.1:PORT/live/stream out.flv

Prints "ready" once the pipeline plays (the subscription is then on its way to the server).
"""

from __future__ import annotations

import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

from probes import probe_buffers  # noqa: E402


def main() -> int:
    url, out_path = sys.argv[1], sys.argv[2]
    Gst.init(None)
    pipeline = Gst.parse_launch("rtmp2src name=src ! fakesink sync=false async=false")
    src = pipeline.get_by_name("src")
    src.set_property("location", url)
    out = open(out_path, "wb")
    arrivals = open(out_path + ".arrivals", "w")
    offset = 0

    def on_buffer(_pad, info):
        nonlocal offset
        now = time.monotonic_ns()
        for buf in probe_buffers(info):
            ok, m = buf.map(Gst.MapFlags.READ)
            if ok:
                out.write(bytes(m.data))
                offset += m.size
                buf.unmap(m)
                out.flush()
                arrivals.write(f"{now} {offset}\n")
                arrivals.flush()
        return Gst.PadProbeReturn.OK

    src.get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, on_buffer)
    loop = GLib.MainLoop()
    code = 0

    def on_message(_bus, msg):
        nonlocal code
        if msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            print(f"error: {err.message}", flush=True)
            code = 1
            loop.quit()
        elif msg.type == Gst.MessageType.STATE_CHANGED and msg.src == pipeline:
            if msg.parse_state_changed()[1] == Gst.State.PLAYING:
                print("ready", flush=True)
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: loop.quit() or False)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    out.close()
    arrivals.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
